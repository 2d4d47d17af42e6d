# akis-tool: message catalogues, LOCALEDIR, man page, install.
# Included at the END of the top-level Makefile (after `all:` so that the
# default goal stays `all`):
#     include tools/akis-tool/akis-tool.mk
#
# Catalogues are built into $(BUILD)/locale/LANG/LC_MESSAGES/akis-tool.mo;
# run the tool from the build tree with AKIS_LOCALEDIR=$(BUILD)/locale.

TOOL_LINGUAS := tr
TOOL_PO_DIR  := tools/akis-tool/po
TOOL_MO      := $(patsubst %,$(BUILD)/locale/%/LC_MESSAGES/akis-tool.mo,$(TOOL_LINGUAS))
LOCALEDIR    ?= $(PREFIX)/share/locale
TOOL_VERSION := $(shell sed -n 's/^\#define AKIS_TOOL_VERSION "\(.*\)"/\1/p' tools/akis-tool/tool.h)

$(BUILD)/locale/%/LC_MESSAGES/akis-tool.mo: $(TOOL_PO_DIR)/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

# Where setup and doctor look for the installed module (browsers.c).
$(BUILD)/tools/akis-tool/browsers.o: override CFLAGS += -DTOOL_MULTIARCH='"$(MULTIARCH)"' \
	-DTOOL_P11DIR='"$(P11DIR)"'

# Where the installed tool finds its catalogues.
$(BUILD)/tools/akis-tool/main.o: override CFLAGS += -DLOCALEDIR='"$(LOCALEDIR)"'

all: $(TOOL_MO)
$(TOOL): | $(TOOL_MO)

.PHONY: akis-tool-pot install-akis-tool uninstall-akis-tool

# Regenerate the template and merge it into the translations (maintainers).
akis-tool-pot:
	xgettext --from-code=UTF-8 --language=C -k_ -kN_ -kngettext:1,2 \
		--add-comments=TRANSLATORS --package-name=akis-tool \
		--package-version=$(TOOL_VERSION) --msgid-bugs-address= \
		-o $(TOOL_PO_DIR)/akis-tool.pot $(sort $(wildcard tools/akis-tool/*.c))
	for l in $(TOOL_LINGUAS); do \
		msgmerge --quiet --update --backup=none $(TOOL_PO_DIR)/$$l.po $(TOOL_PO_DIR)/akis-tool.pot; \
	done

install: install-akis-tool
install-akis-tool: $(TOOL) $(TOOL_MO)
	install -D -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/akis-tool
	install -D -m 644 tools/akis-tool/akis-tool.1 $(DESTDIR)$(MANDIR)/man1/akis-tool.1
	for l in $(TOOL_LINGUAS); do \
		install -D -m 644 $(BUILD)/locale/$$l/LC_MESSAGES/akis-tool.mo \
			$(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/akis-tool.mo; \
	done

uninstall: uninstall-akis-tool
uninstall-akis-tool:
	rm -f $(DESTDIR)$(BINDIR)/akis-tool $(DESTDIR)$(MANDIR)/man1/akis-tool.1
	for l in $(TOOL_LINGUAS); do rm -f $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/akis-tool.mo; done
