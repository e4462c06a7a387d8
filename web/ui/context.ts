import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { AppModel } from "../state/app";

export const AppContext = createContext<AppModel | null>(null);

export function useApp(): AppModel {
  const app = useContext(AppContext);
  if (!app) throw new Error("useApp outside <AppContext.Provider>");
  return app;
}
