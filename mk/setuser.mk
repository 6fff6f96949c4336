# setuser: /usr/sbin/setuser and its man page.
INSTALL_TARGETS += install-setuser
.PHONY: install-setuser
install-setuser: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/setuser $(DESTDIR)$(PREFIX)/sbin/setuser
	install -m 0644 man/setuser.8 $(DESTDIR)$(PREFIX)/share/man/man8/setuser.8
