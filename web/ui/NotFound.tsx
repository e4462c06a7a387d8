import { useEffect } from "preact/hooks";
import { useApp } from "./context";
import { Link } from "./Link";

export function NotFound(props: { title: string; text: string }) {
  const app = useApp();
  useEffect(() => {
    app.setTitle(`${props.title} · Chat`);
  }, [props.title]);
  return (
    <main class="center-page">
      <div class="card">
        <h1>{props.title}</h1>
        <p class="muted">{props.text}</p>
        <Link href="/" class="button primary">
          Go home
        </Link>
      </div>
    </main>
  );
}
