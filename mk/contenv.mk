# contenv: /usr/bin/contenv, the with-contenv link (argv[0] picks the behaviour), man pages.
INSTALL_TARGETS += install-contenv
.PHONY: install-contenv
install-contenv: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/contenv $(DESTDIR)$(PREFIX)/bin/contenv
	ln -sf contenv $(DESTDIR)$(PREFIX)/bin/with-contenv
	install -m 0644 man/contenv.1 $(DESTDIR)$(PREFIX)/share/man/man1/contenv.1
	ln -sf contenv.1 $(DESTDIR)$(PREFIX)/share/man/man1/with-contenv.1
