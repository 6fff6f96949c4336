# install_clean (shell): built into $(BUILD)/ with the version filled in, so that the test
# suites find it beside the C programs (also in the sanitizer build dir, which `make asan` makes
# through `all`).
INSTALL_TARGETS += install-install_clean
.PHONY: install-install_clean
all: $(BUILD)/install_clean

$(BUILD)/install_clean: image/bin/install_clean debian/changelog
	@mkdir -p $(@D)
	sed 's/^version=@VERSION@$$/version=$(VERSION)/' $< > $@.tmp
	chmod 0755 $@.tmp && mv $@.tmp $@

install-install_clean: $(BUILD)/install_clean
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/install_clean $(DESTDIR)$(PREFIX)/sbin/install_clean
	install -m 0644 man/install_clean.8 $(DESTDIR)$(PREFIX)/share/man/man8/install_clean.8
