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
// and the browser is idle (Safari has no requestIdleCallback: a timeout), never in the way of
// the first render. Notifications need no more than this registration.
if ("serviceWorker" in navigator) {
  addEventListener("load", () => (window.requestIdleCallback ?? setTimeout)(() => void navigator.serviceWorker.register("/sw.js").catch(console.warn)));
}
