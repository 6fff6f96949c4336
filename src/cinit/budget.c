/* The shutdown's one budget (CINIT_SHUTDOWN_TIMEOUT): every phase of the shutdown shares it, so
 * that the last one (the final kill) runs before the container engine's own SIGKILL, which
 * comes docker stop's -t (10 s by default) after its TERM. Each phase may use what is left of
 * the budget less a reserve for each phase still to come; KILL_PROCESS_TIMEOUT and
 * KILL_ALL_PROCESSES_TIMEOUT still cap the phases they name. */
#include "cinit.h"

/* 9 s: docker stop's 10 s grace, less a second for the engine and a loaded machine */
#define DEFAULT_BUDGET_MS 9000L

static long long begun = -1; /* when the shutdown began (now_ms), -1 before */

void shutdown_begin(void)
{
    if (begun < 0) {
        begun = now_ms();
        notify_self_stopping();
        debug("shutdown begins: budget %ld ms", opt.shutdown_ms);
    }
}

/* The budget when CINIT_SHUTDOWN_TIMEOUT is not set: a baseimage-docker variable set alone
 * keeps the meaning it had there (each phase its own timeout: the budget is their sum, the
 * final KILL's wait too), otherwise docker stop's default fits. */
void shutdown_budget_default(bool baseimage_var_set)
{
    if (opt.shutdown_ms >= 0)
        return;
    opt.shutdown_ms = baseimage_var_set ? 2 * opt.kill_process_ms + opt.kill_all_ms + 5000 : DEFAULT_BUDGET_MS;
}

/* The phases after p, each of which keeps a tenth of the budget (the final KILL's wait is one):
 * a phase that overruns its share cannot leave the later ones nothing. */
static long long reserve(enum shutdown_phase p)
{
    return (long long)(PHASE_FINAL_KILL - p) * (opt.shutdown_ms / 10);
}

long long phase_deadline(enum shutdown_phase p, long own_ms)
{
    shutdown_begin();
    long long end = begun + opt.shutdown_ms - reserve(p);
    long long now = now_ms();
    if (own_ms >= 0 && now + own_ms < end)
        end = now + own_ms;
    /* a phase reached late still gets its turn: it sends its signal and looks once */
    return end > now ? end : now;
}

long long phase_wait_ms(long long deadline)
{
    long long now = now_ms();
    return deadline > now ? deadline - now : 0;
}
