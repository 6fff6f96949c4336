# Debian packaging (debian/) and a signed apt repository of the packages it builds.
#   make deb     dist/cinit-tools_<version>_<arch>.deb (dpkg-buildpackage -us -uc -b, in a copy
#                of the tree: tools/build-deb); needs dpkg-dev and debhelper only
#   make repo    dist/repo/ from dist/*.deb, signed (tools/build-repo); REPO_SUITE (default
#                SUITE, else trixie) names dists/<suite>; GPG_KEY=id or GPG_KEY_FILE=file picks
#                the signing key, else a throwaway key is made in dist/
DIST ?= dist
REPO_SUITE ?= $(or $(SUITE),trixie)

.PHONY: deb repo deps-deb
deb:
	tools/build-deb $(DIST)

repo:
	GPG_KEY="$(GPG_KEY)" GPG_KEY_FILE="$(GPG_KEY_FILE)" tools/build-repo $(DIST) $(REPO_SUITE)

deps-deb:
	@tools/ensure-packages deb
