import { useEffect } from "preact/hooks";
import { AuthForms } from "./AuthForms";
import { useApp } from "./context";
import { ChatIcon } from "./Icons";

/** No session: log in, sign up or continue as a guest. `note` says why (a room link). */
export function SignedOut({ note }: { note?: string }) {
  const app = useApp();
  useEffect(() => app.setTitle("Sign in · Chat"), []);
  return (
    <main class="center-page">
      <div class="card">
        <div class="brand" aria-hidden="true">
          <ChatIcon />
        </div>
        <h1>Chat</h1>
        <p class="muted">{note ?? "Rooms and direct messages, in real time."}</p>
        <AuthForms />
      </div>
    </main>
  );
}
