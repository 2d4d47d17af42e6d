# akis-pkcs11 — top-level build. `make help` lists the targets.
PREFIX     ?= /usr/local
DESTDIR    ?=
MULTIARCH  ?= $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
LIBDIR     ?= $(PREFIX)/lib/$(MULTIARCH)
P11DIR     ?= $(LIBDIR)/pkcs11
BINDIR     ?= $(PREFIX)/bin
# akis-guard, the logout guard the module and the tools start (akis/guard.c)
LIBEXECDIR ?= $(PREFIX)/libexec/akis-pkcs11
MANDIR     ?= $(PREFIX)/share/man
# the module reads /etc/akis-pkcs11/akis.conf (or the file named by AKIS_CONF)
SYSCONFDIR ?= /etc
# p11-kit reads modules only from /usr/share/p11-kit/modules and /etc/pkcs11/modules
P11KITDIR  ?= $(if $(filter /usr,$(PREFIX)),/usr/share/p11-kit/modules,/etc/pkcs11/modules)
# R47, make install-compat: the closed module's name, where MA3-based programs look
COMPATLIB  ?= /usr/lib/libakisp11.so

BUILD ?= build
CC    ?= cc
PKG   ?= pkg-config

PCSC_CFLAGS   := $(shell $(PKG) --cflags libpcsclite 2>/dev/null)
PCSC_LIBS     := $(shell $(PKG) --libs libpcsclite 2>/dev/null)
CRYPTO_CFLAGS := $(shell $(PKG) --cflags libcrypto 2>/dev/null)
CRYPTO_LIBS   := $(shell $(PKG) --libs libcrypto 2>/dev/null)
P11KIT_CFLAGS := $(shell $(PKG) --cflags p11-kit-1 2>/dev/null)
CMOCKA_LIBS   := $(shell $(PKG) --libs cmocka 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wvla -Wswitch-enum -Wshadow
OPT     ?= -O2 -g
CFLAGS  ?=
# CPPFLAGS and LDFLAGS: dpkg-buildflags (hardening) when debian/rules builds
CPPFLAGS ?=
LDFLAGS  ?=
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARN) $(OPT) \
	$(PCSC_CFLAGS) $(CRYPTO_CFLAGS) $(P11KIT_CFLAGS) -I. $(SAN) $(CPPFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PCSC_LIBS) $(CRYPTO_LIBS) -lpthread

ifeq ($(SANITIZE),1)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
BUILD := build-asan
endif

LOG_SRC    := $(wildcard log/*.c)
APDU_SRC   := $(LOG_SRC) $(wildcard apdu/*.c)
# the scripted transport is for unit tests only: in the archive, not in the module
MOD_APDU   := $(filter-out apdu/script.c,$(APDU_SRC))
AKIS_SRC   := $(wildcard akis/*.c)
P11_SRC    := $(wildcard pkcs11/*.c)
VCARD_SRC  := $(wildcard tests/vcard/*.c)
TOOL_SRC   := $(wildcard tools/akis-tool/*.c)
GUARD_SRC  := $(wildcard tools/akis-guard/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

MODULE   := $(BUILD)/akis-pkcs11.so
VCARD    := $(BUILD)/akis-vcard
TOOL     := $(BUILD)/akis-tool
GUARD    := $(BUILD)/akis-guard
CORE_A   := $(BUILD)/libakis-core.a
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))

TARGETS := $(if $(P11_SRC),$(MODULE)) $(if $(VCARD_SRC),$(VCARD)) $(if $(TOOL_SRC),$(TOOL)) \
	$(if $(GUARD_SRC),$(GUARD))

.PHONY: all check unit deps demo install install-compat install-vcard uninstall clean asan help deb
all: $(TARGETS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# Everything below pkcs11/ front end, plus pkcs11/, as one archive for tests.
$(CORE_A): $(call obj,$(APDU_SRC) $(AKIS_SRC) $(P11_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(MODULE): $(call obj,$(MOD_APDU) $(AKIS_SRC) $(P11_SRC)) pkcs11/akis-pkcs11.map
	$(CC) -shared -Wl,--version-script=pkcs11/akis-pkcs11.map -Wl,-z,defs -Wl,-soname,akis-pkcs11.so \
		$(SAN) $(LDFLAGS) -o $@ $(call obj,$(MOD_APDU) $(AKIS_SRC) $(P11_SRC)) $(LDLIBS_ALL)

$(VCARD): $(call obj,$(VCARD_SRC))
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS) -lpthread

# the tool reports the module's configuration (pin_per_signature, R46)
$(TOOL): $(call obj,$(TOOL_SRC) $(MOD_APDU) $(AKIS_SRC) pkcs11/config.c)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# the logout guard: the reader layer only (R22)
$(GUARD): $(call obj,$(GUARD_SRC) $(MOD_APDU) $(AKIS_SRC))
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# where the installed module and tools find it (akis/guard.c); the stamp
# rebuilds guard.o when LIBEXECDIR (or PREFIX) changes
GUARD_STAMP := $(BUILD)/akis-guard.path
$(GUARD_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(LIBEXECDIR)/akis-guard' | cmp -s - $@ 2>/dev/null || echo '$(LIBEXECDIR)/akis-guard' >$@
$(BUILD)/akis/guard.o: $(GUARD_STAMP)
$(BUILD)/akis/guard.o: override CFLAGS += -DAKIS_GUARD_PATH='"$(LIBEXECDIR)/akis-guard"'
.PHONY: FORCE
FORCE:

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(CORE_A)
	$(CC) $(SAN) -o $@ $< $(CORE_A) $(CMOCKA_LIBS) $(LDLIBS_ALL)

unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

# The whole suite: installs what it needs (Debian), builds, unit tests,
# then the integration tests against pcscd + vpcd + akis-vcard.
check: deps
	$(MAKE) all $(UNIT_BIN)
	tests/run-all $(BUILD)

deps:
	@tests/install-deps

# Every C file as .clang-format wants it (issue 12); .ci/run calls this.
.PHONY: format format-check
format:
	git ls-files '*.c' '*.h' | xargs clang-format -i
format-check:
	@bad=$$(git ls-files '*.c' '*.h' | while read -r f; do \
		clang-format --dry-run -Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "format-check: not as .clang-format wants (make format):"; \
		echo "$$bad"; exit 1; fi; echo "format-check: every C file as .clang-format wants"

demo: deps
	$(MAKE) all
	tests/demo $(BUILD)

# make fuzz: libFuzzer targets (clang) in $(FUZZ_BUILD)/, FUZZ_SECONDS each (tests/fuzz/run)
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 30
.PHONY: fuzz bench
fuzz: $(VCARD)
	tests/install-deps clang libclang-rt-14-dev
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_BUILD) $(VCARD)

# make bench: APDUs, bytes and wall time per operation, PC/SC floor, two cards (tests/bench/run)
bench: deps
	$(MAKE) all
	tests/bench/run $(BUILD)
	tests/bench/apdu-counts.sh $(BUILD)

asan:
	$(MAKE) SANITIZE=1 all $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BIN))

install: all
	install -d $(DESTDIR)$(P11DIR) $(DESTDIR)$(P11KITDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(SYSCONFDIR)/akis-pkcs11 $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(MODULE) $(DESTDIR)$(P11DIR)/akis-pkcs11.so
	install -D -m 0755 $(GUARD) $(DESTDIR)$(LIBEXECDIR)/akis-guard
	sed 's|^module:.*|module: $(P11DIR)/akis-pkcs11.so|' conf/akis-pkcs11.module \
		> $(DESTDIR)$(P11KITDIR)/akis-pkcs11.module
	chmod 0644 $(DESTDIR)$(P11KITDIR)/akis-pkcs11.module
	test -e $(DESTDIR)$(SYSCONFDIR)/akis-pkcs11/akis.conf || \
		install -m 0644 conf/akis.conf $(DESTDIR)$(SYSCONFDIR)/akis-pkcs11/akis.conf
	sed 's|^library = .*|library = $(P11DIR)/akis-pkcs11.so|' conf/java-sunpkcs11.cfg \
		> $(DESTDIR)$(SYSCONFDIR)/akis-pkcs11/java-sunpkcs11.cfg

# R47: opt-in; refuses (exit 1) when a libakisp11.so that is not ours is there
install-compat: install
	tools/install-compat.sh install $(DESTDIR)$(COMPATLIB) $(P11DIR)/akis-pkcs11.so

# akis-vcard and its bench for integrators (the akis-vcard package): the
# bench finds its reader configuration and pcsc-apdu in $(VCARD_DATA)
VCARD_DATA ?= $(PREFIX)/share/akis-vcard
install-vcard: $(VCARD)
	install -D -m 0755 $(VCARD) $(DESTDIR)$(BINDIR)/akis-vcard
	install -D -m 0755 tests/vcardctl $(DESTDIR)$(BINDIR)/akis-vcardctl
	install -D -m 0755 tests/vcard/pcsc-apdu $(DESTDIR)$(VCARD_DATA)/pcsc-apdu
	install -D -m 0644 conf/reader.conf.d/akis-vpcd $(DESTDIR)$(VCARD_DATA)/reader.conf.d/akis-vpcd
	install -D -m 0644 tests/vcard/akis-vcard.1 $(DESTDIR)$(MANDIR)/man1/akis-vcard.1
	install -D -m 0644 tests/vcard/akis-vcardctl.1 $(DESTDIR)$(MANDIR)/man1/akis-vcardctl.1

# Debian packages (issue 11) into $(DEB_OUT)/, built from a copy of the
# tracked tree (dpkg-buildpackage writes its results next to the source).
DEB_OUT ?= $(BUILD)/deb
deb:
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)/src
	git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - | tar -xf - -C $(DEB_OUT)/src
	cd $(DEB_OUT)/src && dpkg-buildpackage -us -uc -b
	rm -rf $(DEB_OUT)/src
	cd $(DEB_OUT) && lintian --fail-on error,warning *.changes
	@ls $(DEB_OUT)/*.deb

uninstall:
	tools/install-compat.sh uninstall $(DESTDIR)$(COMPATLIB) $(P11DIR)/akis-pkcs11.so
	rm -f $(DESTDIR)$(P11DIR)/akis-pkcs11.so $(DESTDIR)$(P11KITDIR)/akis-pkcs11.module \
		$(DESTDIR)$(SYSCONFDIR)/akis-pkcs11/java-sunpkcs11.cfg $(DESTDIR)$(LIBEXECDIR)/akis-guard
	-rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null

clean:
	rm -rf build build-asan

help:
	@echo "make            build the module, akis-vcard, akis-tool (and akis-monitor when GTK 4 is there) into $(BUILD)/"
	@echo "make check      install Debian packages if needed, run every test"
	@echo "make demo       a virtual card in a virtual reader, a signature through the module"
	@echo "make asan       the same build with ASan/UBSan into build-asan/"
	@echo "make check-asan the suite with ASan/UBSan in build-asan/ (module preloaded into the clients)"
	@echo "make check-valgrind  unit tests, pkcs11-tool and the behaviour suite under valgrind (build-vg/)"
	@echo "make bench      APDUs, bytes and time per operation; make fuzz: libFuzzer targets"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=..."
	@echo "make deb        the Debian packages into $(BUILD)/deb/ (checked with lintian)"
	@echo "make format     clang-format every C file; make format-check: only check (CI)"
	@echo "make install-compat  install, plus $(COMPATLIB) -> the module, for Java e-signature"
	@echo "                programs that load the closed module's name (refuses if a foreign file is there)"
	@echo "make uninstall  removes what install put; libakisp11.so only if it is our symlink"

include tools/akis-tool/akis-tool.mk
include tools/akis-monitor/akis-monitor.mk

-include $(shell find $(BUILD) -path '$(BUILD)/deb' -prune -o -type f -name '*.d' -print 2>/dev/null)
.SECONDARY:

# R45, not part of `make check` (CI time): the whole suite under ASan/UBSan
# (build-asan/), or the unit tests and pkcs11-tool with the module under
# valgrind. Both take many minutes and wait for the bench lock; see
# tests/run-sanitized.
.PHONY: check-asan check-valgrind
check-asan: deps
	$(MAKE) asan
	tests/run-sanitized asan build-asan

check-valgrind: deps
	$(MAKE) BUILD=build-vg all $(patsubst $(BUILD)/%,build-vg/%,$(UNIT_BIN))
	tests/run-sanitized valgrind build-vg
