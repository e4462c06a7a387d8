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
