#!/usr/bin/python3
"""A WebKitGTK browser for WebKitWebDriver with a persistent HTTP cache: MiniBrowser's stand-in in `make bench`.

`MiniBrowser --automation` (the browser WebKitWebDriver starts) always uses an *ephemeral* website data manager, as
in private browsing: no disk cache at all, and WebKit's in-memory cache keeps scripts but not the bodies of fetch()
calls. Every revisit then downloads the runtime again, which no visitor's WebKit browser does. This is the same
engine (Debian's libwebkit2gtk-4.1, through PyGObject: the Debian package gir1.2-webkit2-4.1) with an ordinary
data manager whose folders are under $PY_BRIDGE_BENCH_WEBKIT_PROFILE (a new folder per run, removed by the caller).

WebKitWebDriver runs it as it runs MiniBrowser (`--automation`, the driver's environment); the session is accepted
when the browser calls itself "MiniBrowser" (Selenium's WebKitGTK options ask for that browserName). Run by the
system Python (/usr/bin/python3), which has PyGObject; bench/engines.py checks that it can run before using it.
"""

import os
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2  # noqa: E402

PROFILE_VARIABLE = "PY_BRIDGE_BENCH_WEBKIT_PROFILE"


def main() -> int:
    if "--check" in sys.argv:  # the caller's test that PyGObject and WebKit2 4.1 are there
        return 0
    profile = os.environ.get(PROFILE_VARIABLE)
    if not profile or "--automation" not in sys.argv:
        print(f"usage: {PROFILE_VARIABLE}=DIR {sys.argv[0]} --automation (started by WebKitWebDriver)", file=sys.stderr)
        return 2
    manager = WebKit2.WebsiteDataManager(
        base_data_directory=os.path.join(profile, "data"), base_cache_directory=os.path.join(profile, "cache")
    )
    context = WebKit2.WebContext.new_with_website_data_manager(manager)
    context.set_cache_model(WebKit2.CacheModel.WEB_BROWSER)  # MiniBrowser's, and a browser's
    context.set_automation_allowed(True)
    windows = []

    def create_web_view(session: WebKit2.AutomationSession) -> WebKit2.WebView:
        view = WebKit2.WebView(web_context=context, is_controlled_by_automation=True)
        window = Gtk.Window()
        window.set_default_size(1280, 900)
        window.add(view)
        window.show_all()
        windows.append(window)
        return view

    def automation_started(_context: WebKit2.WebContext, session: WebKit2.AutomationSession) -> None:
        info = WebKit2.ApplicationInfo()
        info.set_name("MiniBrowser")
        info.set_version(WebKit2.get_major_version(), WebKit2.get_minor_version(), WebKit2.get_micro_version())
        session.set_application_info(info)
        session.connect("create-web-view", create_web_view)

    context.connect("automation-started", automation_started)
    Gtk.main()  # WebKitWebDriver ends the process when its session is deleted
    return 0


if __name__ == "__main__":
    sys.exit(main())
