#!/bin/sh
# R47: the closed module's name, libakisp11.so, as a symlink to this module,
# for MA3-based Java programs and guides that load /usr/lib/libakisp11.so.
#   install-compat.sh install   NAME TARGET   create NAME -> TARGET
#   install-compat.sh uninstall NAME TARGET   remove NAME if it is ours
# NAME is the path to create (DESTDIR included); TARGET the installed module's
# path as the running system sees it (no DESTDIR). Ours means exactly: a
# symlink whose target is TARGET. Anything else at NAME is foreign and is
# never replaced or removed (the closed module must survive us).
set -u
mode=${1:-}
name=${2:-}
target=${3:-}
me=install-compat

if [ -z "$name" ] || [ -z "$target" ]; then
	echo "usage: $0 install|uninstall NAME TARGET" >&2
	exit 2
fi

ours() { [ -L "$name" ] && [ "$(readlink "$name")" = "$target" ]; }
present() { [ -L "$name" ] || [ -e "$name" ]; }
describe() {
	if [ -L "$name" ]; then echo "a symlink to $(readlink "$name")"; else echo "a file that is not ours"; fi
}

case $mode in
install)
	if ours; then
		echo "$me: $name already points at $target"
		exit 0
	fi
	if present; then
		echo "$me: refusing: $name exists and is $(describe)." >&2
		echo "$me: it may be the closed AKIS module; it is left untouched. Move it away yourself to use this one." >&2
		exit 1
	fi
	mkdir -p "$(dirname "$name")" || exit 1
	# ln without -f: if something appeared since the check, it fails instead of replacing it
	ln -s "$target" "$name" || { echo "$me: cannot create $name" >&2; exit 1; }
	echo "$me: $name -> $target"
	;;
uninstall)
	if ours; then
		rm -f "$name" && echo "$me: removed $name"
		exit $?
	fi
	if present; then
		echo "$me: $name is $(describe); left in place" >&2
	fi
	exit 0
	;;
*)
	echo "usage: $0 install|uninstall NAME TARGET" >&2
	exit 2
	;;
esac
