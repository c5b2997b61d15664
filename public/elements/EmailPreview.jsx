// The email as its recipient sees it (desktop 600 px or phone 375 px) and its text version. Props (set by
// agent/chat_ui.py): html, text, subject, to. The HTML is shown in a sandboxed iframe (no scripts, no forms,
// links open nothing); remote images stay blocked until "Show images" (as mail clients do), so previewing
// never tells an image host anything.
import { useState } from "react";

const BLOCK_IMAGES = '<meta http-equiv="Content-Security-Policy" content="img-src data:; default-src \'none\'; style-src \'unsafe-inline\'">';

export default function EmailPreview() {
  const [view, setView] = useState("desktop");
  const [images, setImages] = useState(false);
  const width = view === "mobile" ? 375 : 600;
  const doc = images ? props.html : BLOCK_IMAGES + props.html;
  const tab = (name, label) => (
    <button
      key={name}
      data-testid={"email-preview-" + name}
      onClick={() => setView(name)}
      className={"px-3 py-1 rounded-md text-sm border " + (view === name ? "bg-primary text-primary-foreground" : "bg-background")}
    >
      {label}
    </button>
  );
  return (
    <div className="flex flex-col gap-2 w-full" data-testid="email-preview">
      <div className="text-sm">
        <div><b>To:</b> {props.to}</div>
        <div><b>Subject:</b> {props.subject}</div>
      </div>
      <div className="flex gap-2 items-center">
        {tab("desktop", "Desktop")}
        {tab("mobile", "Mobile")}
        {tab("text", "Text version")}
        {view !== "text" && !images && (
          <button className="px-3 py-1 text-sm underline" onClick={() => setImages(true)}>Show images</button>
        )}
      </div>
      {view === "text" ? (
        <pre className="whitespace-pre-wrap text-sm border rounded-md p-3 bg-background">{props.text}</pre>
      ) : (
        <iframe
          title="Email preview"
          sandbox=""
          srcDoc={doc}
          style={{ width: width + "px", maxWidth: "100%", height: "560px", border: "1px solid #e5e7eb", borderRadius: "6px", background: "#fff" }}
        />
      )}
    </div>
  );
}
