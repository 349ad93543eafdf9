// Compiled by tests/unit/test_types.py with `tsc --noEmit --strict`: the calls a site writes must type-check.
import type { PyBridge, Settings } from "../../web/embed";

declare const pybridge: PyBridge;

const settings: Settings = { app_id: "abc12345", load: "idle", consent: { required: true }, transform: ["/t.py"] };
void settings;

pybridge.page();
pybridge.page("Pricing");
pybridge.page("Docs", "Install", { plan: "pro" }, { integrations: { Intercom: false } }, () => {});
pybridge.identify("u1", { email: "a@example.com", createdAt: new Date() }, {
  integrations: { Intercom: { user_hash: "server-computed" } },
});
pybridge.identify({ plan: "pro" });
pybridge.track("Signed Up", { revenue: 12.5 }, () => {});
pybridge.track({ event: "Order Completed", properties: { total: 30 } });
pybridge.group("c1", { name: "Acme" }).reset();
pybridge.alias("u2");
pybridge.intercom.on("unread", (count: number) => void count).intercom.showSpace("help");
pybridge.debug(true);
pybridge.debug.export().then((jsonl: string) => jsonl.split("\n"));
const id: string | null = pybridge.user().id();
void id;
window.addEventListener("pybridge:log", (event) => void event.detail.level);
