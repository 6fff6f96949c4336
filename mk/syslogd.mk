# cinit-syslogd: the daemon, its man page, and the libFuzzer harness of its parser.
INSTALL_TARGETS += install-syslogd
.PHONY: install-syslogd fuzz-syslogmsg
install-syslogd: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/cinit-syslogd $(DESTDIR)$(PREFIX)/sbin/cinit-syslogd
	install -m 0644 man/cinit-syslogd.8 $(DESTDIR)$(PREFIX)/share/man/man8/cinit-syslogd.8

# The harness links the parser's sources built by clang with coverage and the sanitizers
# (test/once/syslogd-fuzz.bats runs it for a bounded time; tools/deps/fuzz lists clang).
FUZZ_CC    ?= clang
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1
FUZZ_SYSLOG_SRC := $(LIB_SRC)
fuzz-syslogmsg: $(BUILD)/fuzz/syslogmsg_fuzz
$(BUILD)/fuzz/syslogmsg_fuzz: test/fuzz/syslogmsg_fuzz.c test/fuzz/syslogmsg_check.h $(FUZZ_SYSLOG_SRC) $(LIB_HDR)
	mkdir -p $(@D)
	$(FUZZ_CC) $(WARN) -D_GNU_SOURCE -Isrc/lib $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SYSLOG_SRC)
