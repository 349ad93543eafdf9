"""Host pages of the bench: the variants (no chat, Intercom's official snippet, py-bridge per load policy), the
in-page probes (boot time, long tasks, LCP), and the deterministic hero image."""

from __future__ import annotations

import html
import json
import random
import struct
import zlib
from dataclasses import dataclass

APP_ID = "abc12345"
HERO_PATH = "/hero.png"
HERO_SIZE = (1200, 800)  # RGB noise: ~2.9 MB that no codec can shrink
POLICIES = ("eager", "load", "idle", "interaction")


@dataclass(frozen=True)
class Variant:
    key: str  # JSON key and column
    label: str
    kind: str  # "none" | "snippet" | "tag"
    policy: str | None = None  # the tag's data-settings "load" value, None = no data-settings at all


NONE = Variant("none", "no chat", "none")
SNIPPET = Variant("snippet", "official snippet", "snippet")
DEFAULT = Variant("default", "py-bridge default", "tag")
TAG_POLICIES = tuple(Variant(p, f'load: "{p}"', "tag", p) for p in POLICIES)
CHAT_VARIANTS = (SNIPPET, DEFAULT, *TAG_POLICIES)  # the ones that boot a Messenger
ALL_VARIANTS = (NONE, *CHAT_VARIANTS)
# The slow-Messenger scenario (issue 21): the sandbox's frame drains Intercom's queue this long after its script runs
# (the default sandbox: 150 ms), for these variants only, to keep `make bench` short.
SLOW_FRAME_DELAY_MS = 300
SLOW_VARIANTS = (SNIPPET, DEFAULT)


def official_snippet(widget_url: str, api_base: str) -> str:
    """Intercom's "Basic JavaScript" install snippet, verbatim but for the app id (and, on the Lighthouse pages,
    the two Intercom URLs pointed at the local sandbox). It injects the widget script after the page's load event."""
    return f"""<script>
  window.intercomSettings = {{
    api_base: "{api_base}",
    app_id: "{APP_ID}",
  }};
</script>
<script>
// We pre-filled your app ID in the widget URL: '{widget_url}'
(function(){{var w=window;var ic=w.Intercom;if(typeof ic==="function"){{ic('reattach_activator');ic('update',w.intercomSettings);}}else{{var d=document;var i=function(){{i.c(arguments);}};i.q=[];i.c=function(args){{i.q.push(args);}};w.Intercom=i;var l=function(){{var s=d.createElement('script');s.type='text/javascript';s.async=true;s.src='{widget_url}';var x=d.getElementsByTagName('script')[0];x.parentNode.insertBefore(s,x);}};if(document.readyState==='complete'){{l();}}else if(w.attachEvent){{w.attachEvent('onload',l);}}else{{w.addEventListener('load',l,false);}}}}}})();
</script>"""  # noqa: E501


def py_bridge_tag(origin: str, policy: str | None, sandbox_url: str | None = None) -> str:
    settings: dict[str, str] = {}
    if policy is not None:
        settings["load"] = policy
    if sandbox_url is not None:
        settings["sandbox_url"] = sandbox_url
    extra = f" data-settings='{html.escape(json.dumps(settings), quote=False)}'" if settings else ""
    return f'<script async src="{origin}/py-bridge/embed.js" data-app-id="{APP_ID}"{extra}></script>'


def chat_markup(variant: Variant, origin: str, *, local_intercom: bool = False) -> str:
    """The variant's install code. `local_intercom`: Intercom's URLs point at the server's /sandbox (Lighthouse)."""
    if variant.kind == "none":
        return ""
    if variant.kind == "snippet":
        if local_intercom:
            return official_snippet(f"{origin}/sandbox/widget/{APP_ID}", f"{origin}/sandbox")
        return official_snippet(f"https://widget.intercom.io/widget/{APP_ID}", "https://api-iam.intercom.io")
    return py_bridge_tag(origin, variant.policy, f"{origin}/sandbox" if local_intercom else None)


TEXT = (
    "<p>Our widgets are hand-made from recycled aluminium and ship within two working days. Ask us anything: the "
    "chat in the corner reaches a person during office hours.</p>"
)


def host_page(variant: Variant, origin: str, *, hero: bool, local_intercom: bool = False) -> str:
    """A small shop page; with `hero`, a 2.9 MB image above the fold is its largest contentful paint."""
    image = (
        f'<img src="{origin}{HERO_PATH}" width="{HERO_SIZE[0]}" height="{HERO_SIZE[1]}" alt="Our workshop" '
        'style="display:block;max-width:100%;height:auto">'
        if hero
        else ""
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Widgets & Co</title><style>body{font:16px/1.5 sans-serif;margin:0 auto;max-width:1200px}"
        "h1{margin:16px}p{margin:16px}</style></head><body>"
        f"<h1>Widgets &amp; Co</h1>{image}{TEXT * 3}"
        f"{chat_markup(variant, origin, local_intercom=local_intercom)}"
        "</body></html>"
    )


# Installed before any page script. bootAt: the first moment the sandbox widget reports bootCount >= 1, seen by a
# MutationObserver (boot renders the launcher, so this fires in the same task) with a 20 ms poll as a fallback.
INIT_SCRIPT = """
(() => {
  const b = (window.__bench = { longTasks: [], bootAt: null, readyAt: null, loadAt: null, lcp: null, lcpUrl: "",
    pythonStartMs: null, fromSnapshot: false, logs: [], interactionAt: null, timeOrigin: performance.timeOrigin });
  const observe = (type, fn) => {
    try { new PerformanceObserver((list) => list.getEntries().forEach(fn)).observe({ type, buffered: true }); }
    catch (e) { b.logs.push("observer " + type + ": " + e); }
  };
  observe("longtask", (e) => b.longTasks.push({ start: e.startTime, duration: e.duration }));
  observe("largest-contentful-paint", (e) => { b.lcp = e.startTime; b.lcpUrl = e.url || ""; });
  addEventListener("load", () => { b.loadAt = performance.now(); }, { once: true });
  addEventListener("pointerover", () => { if (b.interactionAt === null) b.interactionAt = performance.now(); },
    { capture: true, passive: true });
  let timer = null, mo = null;
  const check = () => {
    if (b.bootAt !== null) return;
    const s = window.__intercomSandbox;
    if (s && s.bootCount >= 1) {
      b.bootAt = performance.now();
      if (mo) mo.disconnect();
      clearInterval(timer);
    }
  };
  mo = new MutationObserver(check);
  mo.observe(document, { childList: true, subtree: true });
  timer = setInterval(check, 20);
  addEventListener("pybridge:log", (event) => {
    const d = event.detail || {};
    const m = typeof d.message === "string" ? d.message : "";
    if (d.started && typeof d.started === "object") {
      b.pythonStartMs = Number(d.started.ms);
      b.fromSnapshot = d.started.mode === "snapshot";
    }
    if (d.level === "error" || d.level === "warn") b.logs.push(d.level + ": " + m);
  });
  if (__TAG__) window.pybridge = [["ready", () => { b.readyAt = performance.now(); }]];
})();
"""


def init_script(variant: Variant) -> str:
    return INIT_SCRIPT.replace("__TAG__", "true" if variant.kind == "tag" else "false")


def hero_png(width: int = HERO_SIZE[0], height: int = HERO_SIZE[1], seed: int = 20261125) -> bytes:
    """A deterministic RGB noise PNG (~2.9 MB at 1200x800): the same bytes on every machine and run."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")
