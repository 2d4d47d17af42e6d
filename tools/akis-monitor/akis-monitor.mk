# akis-monitor: the GTK 4 desktop card monitor (issue 10, R49-R51).
# Included at the END of the top-level Makefile, after akis-tool.mk:
#     include tools/akis-monitor/akis-monitor.mk
# Built only when `pkg-config --exists gtk4` (the library never needs GTK).
# Links akis-tool's card-report core (card, certinfo, errors, json, pinflow, report),
# never its commands. Catalogue: $(BUILD)/locale/LANG/LC_MESSAGES/akis-monitor.mo.

MON_DIR     := tools/akis-monitor
MON_SRC     := $(wildcard $(MON_DIR)/*.c)
MON_CORE    := $(addprefix tools/akis-tool/,card.c certinfo.c errors.c json.c pinflow.c report.c)
MONITOR     := $(BUILD)/akis-monitor
MON_LINGUAS := tr
MON_MO      := $(patsubst %,$(BUILD)/locale/%/LC_MESSAGES/akis-monitor.mo,$(MON_LINGUAS))
DATADIR     ?= $(PREFIX)/share
MON_VERSION := $(shell sed -n 's/^\#define AKIS_MONITOR_VERSION "\(.*\)"/\1/p' $(MON_DIR)/i18n.h)
HAVE_GTK4   := $(shell $(PKG) --exists gtk4 2>/dev/null && echo yes)

$(BUILD)/locale/%/LC_MESSAGES/akis-monitor.mo: $(MON_DIR)/po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

.PHONY: akis-monitor-pot install-akis-monitor uninstall-akis-monitor

akis-monitor-pot:
	xgettext --from-code=UTF-8 --language=C -k_ -kN_ -kNG_:1,2 \
		--add-comments=TRANSLATORS --package-name=akis-monitor \
		--package-version=$(MON_VERSION) --msgid-bugs-address= \
		-o $(MON_DIR)/po/akis-monitor.pot $(sort $(MON_SRC))
	for l in $(MON_LINGUAS); do \
		msgmerge --quiet --update --backup=none $(MON_DIR)/po/$$l.po $(MON_DIR)/po/akis-monitor.pot; \
	done

ifeq ($(HAVE_GTK4),yes)
GTK4_CFLAGS := $(shell $(PKG) --cflags gtk4)
GTK4_LIBS   := $(shell $(PKG) --libs gtk4)

# GTK's headers are system headers here: our warnings are for our code.
$(BUILD)/$(MON_DIR)/%.o: override CFLAGS += $(patsubst -I%,-isystem %,$(GTK4_CFLAGS))
$(BUILD)/$(MON_DIR)/main.o: override CFLAGS += -DLOCALEDIR='"$(LOCALEDIR)"'

$(MONITOR): $(call obj,$(MON_SRC) $(MON_CORE) $(MOD_APDU) $(AKIS_SRC))
	$(CC) $(SAN) -o $@ $^ $(GTK4_LIBS) $(LDLIBS_ALL)

all: $(MONITOR) $(MON_MO)

install: install-akis-monitor
install-akis-monitor: $(MONITOR) $(MON_MO)
	install -D -m 755 $(MONITOR) $(DESTDIR)$(BINDIR)/akis-monitor
	install -D -m 644 $(MON_DIR)/akis-monitor.1 $(DESTDIR)$(MANDIR)/man1/akis-monitor.1
	install -D -m 644 $(MON_DIR)/akis-monitor.desktop \
		$(DESTDIR)$(DATADIR)/applications/org.akis_pkcs11.Monitor.desktop
	install -D -m 644 $(MON_DIR)/akis-monitor.svg \
		$(DESTDIR)$(DATADIR)/icons/hicolor/scalable/apps/akis-monitor.svg
	for l in $(MON_LINGUAS); do \
		install -D -m 644 $(BUILD)/locale/$$l/LC_MESSAGES/akis-monitor.mo \
			$(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/akis-monitor.mo; \
	done
endif

# Removes what install-akis-monitor put, whether or not GTK is here now.
uninstall: uninstall-akis-monitor
uninstall-akis-monitor:
	rm -f $(DESTDIR)$(BINDIR)/akis-monitor $(DESTDIR)$(MANDIR)/man1/akis-monitor.1 \
		$(DESTDIR)$(DATADIR)/applications/org.akis_pkcs11.Monitor.desktop \
		$(DESTDIR)$(DATADIR)/icons/hicolor/scalable/apps/akis-monitor.svg
	for l in $(MON_LINGUAS); do rm -f $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/akis-monitor.mo; done
