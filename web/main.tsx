import { render } from "preact";
import { effect } from "@preact/signals";
import { createAppModel } from "./state/app";
import { AppContext } from "./ui/context";
import { App } from "./ui/App";

const app = createAppModel();
void app.checkSession();
effect(() => {
  document.title = app.documentTitle.value;
});

render(
  <AppContext.Provider value={app}>
    <App />
  </AppContext.Provider>,
  document.getElementById("app")!,
);

// The service worker (the app shell offline, Web Push) for everyone, once the page has loaded
// and the browser is idle: never in the way of the first render. Notifications need no more.
if ("serviceWorker" in navigator) {
  addEventListener("load", () => {
    const register = () => void navigator.serviceWorker.register("/sw.js").catch((e: unknown) => console.warn("No service worker:", e));
    if ("requestIdleCallback" in window) requestIdleCallback(register, { timeout: 5000 });
    else setTimeout(register, 1000);
  });
}
