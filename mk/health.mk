# cinit-health: /usr/bin/cinit-health (docs/design.md §1) and its man page.
INSTALL_TARGETS += install-health
.PHONY: install-health
install-health: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/cinit-health $(DESTDIR)$(PREFIX)/bin/cinit-health
	install -m 0644 man/cinit-health.8 $(DESTDIR)$(PREFIX)/share/man/man8/cinit-health.8
