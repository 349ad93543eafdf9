"""The tools: what runs on a developer's or a build machine, never in the browser.

The `py-bridge` command (cli), the bundler (bundle/), the local dev server (devserver) with its demo (demo/) and
the Intercom emulator (sandbox/), the doctor that checks a live page, the generator of the constants the page's
JavaScript shares with Python (page_constants), the local Chromium the doctor, the browser tests and the bench
drive (browser), and the Firefox and WebKit drivers of the engine tests and the bench (engines/). They may import
the core; the core never imports them, and none of them goes into the bundle.
"""
