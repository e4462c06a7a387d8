import { render } from "preact";
import { createAppModel } from "./state/app";
import { AppContext } from "./ui/context";
import { App } from "./ui/App";

const app = createAppModel();
void app.checkSession();

render(
  <AppContext.Provider value={app}>
    <App />
  </AppContext.Provider>,
  document.getElementById("app")!,
);
