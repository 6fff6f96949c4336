# cinit (PID 1) and its my_init link.
INSTALL_TARGETS += install-cinit
.PHONY: install-cinit
install-cinit: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/cinit $(DESTDIR)$(PREFIX)/sbin/cinit
	ln -sf cinit $(DESTDIR)$(PREFIX)/sbin/my_init
	install -m 0644 man/cinit.8 $(DESTDIR)$(PREFIX)/share/man/man8/cinit.8
	ln -sf cinit.8 $(DESTDIR)$(PREFIX)/share/man/man8/my_init.8
