#!/usr/bin/python3
# The card holder's side of akis-monitor, through the accessibility tree
# only (AT-SPI, python3-pyatspi): what a screen reader reads and what an
# assistive tool can press. No test hook of the monitor is used.
# Called by tests/integration/monitor_atspi.sh, one step per run, on the
# session bus of the running monitor:
#
#   monitor_atspi.py wait SECONDS EXPR [SINCE_NS]
#       until EXPR (Python) is true of the tree; prints the milliseconds
#       since SINCE_NS (`date +%s%N`; default: the start). EXPR sees
#         R  the readers, in window order: dicts with "reader" (the frame's
#            title), "texts" (every label, in order), "buttons"
#            ({name: sensitive}) and "text" (the texts joined by newlines);
#         D  the open dialog or None: "title", "texts", "text",
#            "buttons", "checks" ({name: checked}), "entries" ([names]),
#            "status" (its status label's text);
#         W  the main window's texts joined.
#       On timeout it prints the tree and exits 1.
#   monitor_atspi.py press READER BUTTON      a button of reader frame READER
#                                             (0-based) through its Action
#   monitor_atspi.py dialog-press BUTTON      a dialog button through its Action;
#                                             exits 3 if it is insensitive
#   monitor_atspi.py tick CHECKBOX-PREFIX     tick a dialog check box: its Action,
#                                             else a mouse click through AT-SPI
#   monitor_atspi.py type ENTRY               the secret read from stdin into
#                                             the dialog's password entry ENTRY
#                                             (its accessible name, from its label)
#                                             through EditableText
#   monitor_atspi.py notifications FILE       be the desktop's notification server
#                                             (org.freedesktop.Notifications): one
#                                             line "SUMMARY<tab>BODY" each, until killed
# Exit status: 0 done, 1 not found / timeout, 2 usage, 3 refused.
import re
import subprocess
import sys
import time

import pyatspi

T0 = time.time_ns()
MAIN_TITLES = ("AKİS Card Monitor", "AKİS Kart İzleyici")


def app():
    for _ in range(100):
        for a in pyatspi.Registry.getDesktop(0):
            if a is not None and "akis-monitor" in (a.name or ""):
                return a
        time.sleep(0.1)
    return None


def states(o):
    return set(o.getState().getStates())


def walk(o, depth=0):
    """Every descendant of o, depth first, with its depth."""
    if o is None or depth > 60:
        return
    yield o, depth
    for i in range(o.childCount):
        c = o.getChildAtIndex(i)
        yield from walk(c, depth + 1)


def text_of(o):
    try:
        t = o.queryText()
        return t.getText(0, t.characterCount)
    except NotImplementedError:
        return o.name or ""


def collect(root):
    """Labels, buttons, check boxes, entries and the status under root."""
    d = {"texts": [], "buttons": {}, "checks": {}, "entries": [], "status": None}
    d["_buttons"], d["_checks"], d["_entries"] = {}, {}, {}
    for o, _ in walk(root):
        role = o.getRole()
        st = states(o)
        if role == pyatspi.ROLE_STATUS_BAR:
            d["status"] = text_of(o)
        elif role == pyatspi.ROLE_LABEL:
            d["texts"].append(text_of(o))
        elif role in (pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON):
            d["buttons"][o.name] = pyatspi.STATE_SENSITIVE in st
            d["_buttons"][o.name] = o
        elif role == pyatspi.ROLE_CHECK_BOX:
            d["checks"][o.name] = pyatspi.STATE_CHECKED in st
            d["_checks"][o.name] = o
        elif role == pyatspi.ROLE_PASSWORD_TEXT:
            d["entries"].append(o.name)
            d["_entries"][o.name] = o
    d["text"] = "\n".join(d["texts"])
    return d


def windows(a):
    main, dialog = None, None
    for i in range(a.childCount):
        w = a.getChildAtIndex(i)
        if w is None or w.getRole() != pyatspi.ROLE_FRAME:
            continue
        if w.name in MAIN_TITLES:
            main = w
        else:
            dialog = w
    return main, dialog


def readers(main):
    """One entry per reader frame (a GtkFrame: its first child is its title)."""
    out = []
    for o, _ in walk(main):
        if o.getRole() != pyatspi.ROLE_FILLER or o.childCount < 2:
            continue
        title = o.getChildAtIndex(0)
        if title is None or title.getRole() != pyatspi.ROLE_LABEL:
            continue
        r = collect(o.getChildAtIndex(1))
        r["reader"] = text_of(title)
        out.append(r)
    return out


def view(a):
    main, dialog = windows(a)
    R = readers(main) if main is not None else []
    D = None
    if dialog is not None:
        D = collect(dialog)
        D["title"] = dialog.name
    W = collect(main)["text"] if main is not None else ""
    return R, D, W


def public(d):
    return {k: v for k, v in d.items() if not k.startswith("_") and k != "text"}


def cmd_wait(a, secs, expr, since=None):
    start = int(since) if since else T0
    deadline = time.monotonic_ns() + int(float(secs) * 1e9)
    last = None
    while True:
        try:
            R, D, W = view(a)
            last = (R, D, W)
            if eval(expr, {"R": R, "D": D, "W": W}):
                print((time.time_ns() - start) // 1000000)
                return 0
        except Exception as e:  # a widget went away while walking: look again
            last = ("walk failed: %s" % e,)
        if time.monotonic_ns() > deadline:
            break
        time.sleep(0.1)
    print("timeout; the tree:", file=sys.stderr)
    if len(last) == 3:
        for r in last[0]:
            print("  reader", public(r), file=sys.stderr)
        print("  dialog", public(last[1]) if last[1] else None, file=sys.stderr)
    else:
        print(" ", last[0], file=sys.stderr)
    return 1


def do_action(o, names=("click", "press", "activate", "toggle")):
    act = o.queryAction()
    have = [act.getName(i) for i in range(act.nActions)]
    for want in names:
        if want in have:
            return bool(act.doAction(have.index(want)))
    if act.nActions > 0:
        return bool(act.doAction(0))
    return False


def cmd_press(a, idx, name):
    main, _ = windows(a)
    rs = readers(main) if main is not None else []
    if int(idx) >= len(rs) or name not in rs[int(idx)]["_buttons"]:
        print("no button %r in reader %s" % (name, idx), file=sys.stderr)
        return 1
    b = rs[int(idx)]["_buttons"][name]
    if not rs[int(idx)]["buttons"][name]:
        return 3
    return 0 if do_action(b) else 1


def dialog(a):
    _, dlg = windows(a)
    return collect(dlg) if dlg is not None else None


def cmd_dialog_press(a, name):
    d = dialog(a)
    if d is None or name not in d["_buttons"]:
        print("no dialog button %r" % name, file=sys.stderr)
        return 1
    if not d["buttons"][name]:
        do_action(d["_buttons"][name])  # tried anyway: must do nothing
        return 3
    return 0 if do_action(d["_buttons"][name]) else 1


def focused(o):
    return pyatspi.STATE_FOCUSED in states(o)


def window_origin(title):
    """The window's place on the screen (X11: xwininfo). GTK 4 reports
    extents relative to its window only."""
    out = subprocess.run(["xwininfo", "-name", title], capture_output=True, text=True).stdout
    x = re.search(r"Absolute upper-left X:\s+(-?\d+)", out)
    y = re.search(r"Absolute upper-left Y:\s+(-?\d+)", out)
    return (int(x.group(1)), int(y.group(1))) if x and y else None


def cmd_tick(a, prefix):
    """The check box's Action if it has one. GTK 4.8 gives a GtkCheckButton
    none and no Component.GrabFocus: then a mouse click on it, generated
    through AT-SPI (XTEST on X11) at the place AT-SPI gives for it."""
    _, dlg = windows(a)
    d = collect(dlg) if dlg is not None else {}
    box = None
    for name, o in d.get("_checks", {}).items():
        if name.startswith(prefix):
            box = o
    if box is None:
        print("no check box %r" % prefix, file=sys.stderr)
        return 1
    if box.queryAction().nActions > 0:
        return 0 if do_action(box) else 1
    origin = window_origin(dlg.name)
    if origin is None:
        print("no X window %r" % dlg.name, file=sys.stderr)
        return 1
    e = box.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    x, y = origin[0] + e.x + min(e.height, e.width) // 2, origin[1] + e.y + e.height // 2
    pyatspi.Registry.generateMouseEvent(x, y, pyatspi.MOUSE_B1C)
    for _ in range(20):
        if pyatspi.STATE_CHECKED in states(box):
            return 0
        time.sleep(0.1)
    print("clicked %d,%d: not checked" % (x, y), file=sys.stderr)
    return 1


def cmd_type(a, name):
    d = dialog(a)
    if d is None or name not in d["_entries"]:
        print("no entry %r" % name, file=sys.stderr)
        return 1
    secret = sys.stdin.readline().rstrip("\n")
    e = d["_entries"][name].queryEditableText()
    ok = e.setTextContents(secret)
    secret = None
    return 0 if ok else 1


NOTIFY_XML = """<node><interface name="org.freedesktop.Notifications">
<method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/>
<arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="s" direction="in"/>
<arg type="as" direction="in"/><arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
<arg type="u" direction="out"/></method>
<method name="GetCapabilities"><arg type="as" direction="out"/></method>
<method name="CloseNotification"><arg type="u" direction="in"/></method>
<method name="GetServerInformation"><arg type="s" direction="out"/><arg type="s" direction="out"/>
<arg type="s" direction="out"/><arg type="s" direction="out"/></method>
</interface></node>"""


def cmd_notifications(path):
    """A desktop's notification server (org.freedesktop.Notifications) on
    the session bus: each notification as a line "SUMMARY\tBODY" in path.
    Runs until killed."""
    from gi.repository import Gio, GLib
    node = Gio.DBusNodeInfo.new_for_xml(NOTIFY_XML)
    count = [0]

    def call(conn, sender, obj, iface, method, params, inv):
        if method == "Notify":
            a = params.unpack()
            with open(path, "a") as f:
                f.write("%s\t%s\n" % (a[3], a[4]))
            count[0] += 1
            inv.return_value(GLib.Variant("(u)", (count[0],)))
        elif method == "GetCapabilities":
            inv.return_value(GLib.Variant("(as)", (["body"],)))
        elif method == "GetServerInformation":
            inv.return_value(GLib.Variant("(ssss)", ("test", "akis", "1", "1.2")))
        else:
            inv.return_value(None)

    def acquired(conn, name):
        conn.register_object("/org/freedesktop/Notifications", node.interfaces[0], call)
        open(path, "a").close()

    Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications",
                     Gio.BusNameOwnerFlags.NONE, acquired, None, None)
    GLib.MainLoop().run()
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "notifications":
        return cmd_notifications(argv[2])
    if len(argv) < 2:
        return 2
    a = app()
    if a is None:
        print("akis-monitor is not on the accessibility bus", file=sys.stderr)
        return 1
    cmds = {"wait": cmd_wait, "press": cmd_press, "dialog-press": cmd_dialog_press,
            "tick": cmd_tick, "type": cmd_type}
    if argv[1] not in cmds:
        return 2
    return cmds[argv[1]](a, *argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
