import { useApp } from "./context";
import { Home } from "./Home";
import { RoomPage } from "./RoomPage";
import { NotFound } from "./NotFound";

export function App() {
  const app = useApp();
  const route = app.route.value;
  switch (route.name) {
    case "home":
      return <Home />;
    case "room":
      // Keyed by id: a different room gets a fresh store and socket.
      return <RoomPage key={route.id} id={route.id} />;
    case "unknown":
      return <NotFound title="Page not found" text="There is nothing at this address." />;
  }
}
