/**
 * Media in the browser: Alice attaches an image and a PDF by the file chooser; Bob sees the
 * image's thumbnail, opens it full size, downloads the PDF with identical bytes and reacts;
 * Alice sees the reaction live. Screenshots at phone and desktop sizes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { FAKE_MEDIA, SHOTS, WAIT, composer, log, skipBrowser, twoInARoom, useSession } from "./browser";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A real RGB PNG (a colour gradient), `w`×`h`. */
function png(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    for (let x = 0; x < w; x++) {
      raw[row + 1 + x * 3] = Math.round((x / w) * 255);
      raw[row + 2 + x * 3] = Math.round((y / h) * 255);
      raw[row + 3 + x * 3] = 160;
    }
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}
/** A small valid one-page PDF. */
function pdf(): Buffer {
  const objs = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    "<< /Length 44 >>\nstream\nBT /F1 18 Tf 20 40 Td (Hello media) Tj ET\nendstream",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

describe.skipIf(skipBrowser)("media in the browser", () => {
  // The fake microphone records the voice message.
  const s = useSession({ chromiumArgs: FAKE_MEDIA });
  const dir = mkdtempSync(path.join(tmpdir(), "media-e2e-"));
  const imgPath = path.join(dir, "gradient.png");
  const pdfPath = path.join(dir, "report.pdf");
  beforeAll(() => {
    writeFileSync(imgPath, png(640, 400));
    writeFileSync(pdfPath, pdf());
  });

  /** Attaches the image and the PDF by the paperclip's file chooser; returns the chooser. */
  async function attachBoth(p: Page) {
    const [chooser] = await Promise.all([p.waitForEvent("filechooser"), p.getByRole("button", { name: "Attach files" }).click()]);
    await chooser.setFiles([imgPath, pdfPath]);
    return chooser;
  }

  /** Sends what the composer holds once every upload is done; returns when the chips are gone. */
  async function sendWithFiles(p: Page, text: string) {
    const chips = p.getByRole("list", { name: "Attachments" }).getByRole("listitem");
    await expect.poll(() => chips.count()).toBe(2);
    await composer(p).fill(text);
    const sendButton = p.getByRole("button", { name: "Send" });
    await expect.poll(() => sendButton.isEnabled(), { timeout: WAIT }).toBe(true);
    await composer(p).press("Enter");
    await chips.first().waitFor({ state: "detached", timeout: WAIT });
  }

  it("Alice sends an image and a PDF; Bob sees the thumbnail, opens it, downloads the PDF byte for byte, and reacts; Alice sees it live", async () => {
    const { alice, bob } = await twoInARoom(s);

    // Attach by the paperclip's file chooser.
    const chooser = await attachBoth(alice.page);
    expect(chooser.isMultiple()).toBe(true);
    await sendWithFiles(alice.page, "Photo and report");

    // Bob: the thumbnail (a real decoded image), its reserved aspect ratio.
    const row = log(bob.page).locator(".msg", { hasText: "Photo and report" });
    await row.waitFor({ timeout: WAIT });
    const thumb = row.locator(".att-image img");
    await thumb.waitFor({ timeout: WAIT });
    await expect.poll(() => thumb.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth), { timeout: WAIT }).toBeGreaterThan(0);
    expect(await thumb.getAttribute("src")).toMatch(/\/thumb$/);
    const box = await row.locator(".att-image").boundingBox();
    expect(box!.width / box!.height).toBeCloseTo(640 / 400, 1);

    // Full size in a dialog.
    await row.getByRole("button", { name: "Open gradient.png" }).click();
    const lb = bob.page.getByRole("dialog", { name: "gradient.png" });
    const full = lb.locator("img");
    await expect.poll(() => full.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth), { timeout: WAIT }).toBe(640);
    await bob.page.screenshot({ path: path.join(SHOTS, "media-lightbox.png") });
    await lb.getByRole("button", { name: "Close" }).click();
    await lb.waitFor({ state: "detached" });

    // The PDF: a download with the same bytes.
    const link = row.locator("a.att-file", { hasText: "report.pdf" });
    expect(await link.textContent()).toMatch(/report\.pdf.*B/);
    const [download] = await Promise.all([bob.page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe("report.pdf");
    const saved = path.join(dir, "downloaded.pdf");
    await download.saveAs(saved);
    expect(readFileSync(saved).equals(readFileSync(pdfPath))).toBe(true);

    // Bob reacts with 🎉 from the picker; Alice sees it live, with his name.
    await row.hover();
    await row.getByRole("button", { name: "Add reaction" }).click();
    const picker = bob.page.getByRole("dialog", { name: "Add reaction" });
    await picker.getByRole("searchbox", { name: "Search emoji" }).fill("tada");
    await picker.getByRole("button", { name: "tada" }).click();
    const aRow = log(alice.page).locator(".msg", { hasText: "Photo and report" });
    const chip = aRow.locator(".reaction", { hasText: "🎉" });
    await chip.waitFor({ timeout: WAIT });
    expect(await chip.textContent()).toBe("🎉1");
    expect(await chip.getAttribute("title")).toContain("Bob");
    await expect.poll(() => row.locator(".reaction.mine").count(), { timeout: WAIT }).toBe(1);

    // Alice adds the same: the count goes to 2 for both.
    await chip.click();
    await expect.poll(() => row.locator(".reaction").textContent(), { timeout: WAIT }).toBe("🎉2");

    // Screenshots at phone and desktop sizes.
    for (const [w, h] of [
      [360, 740],
      [1280, 800],
    ] as const) {
      await bob.page.setViewportSize({ width: w, height: h });
      await bob.page.waitForTimeout(300);
      await bob.page.screenshot({ path: path.join(SHOTS, `media-${w}x${h}.png`) });
    }
    expect(alice.problems).toEqual([]);
    expect(bob.problems).toEqual([]);
  });

  it("cancel aborts an upload and deletes it; paste and drop attach files; a voice message plays inline; deleting leaves a tombstone", async () => {
    // Alice has already sent the image and the PDF (the message she deletes at the end).
    const { alice, bob } = await twoInARoom(s);
    await attachBoth(alice.page);
    await sendWithFiles(alice.page, "Photo and report");
    await log(bob.page).locator(".msg", { hasText: "Photo and report" }).locator("a.att-file", { hasText: "report.pdf" }).waitFor({ timeout: WAIT });

    const a = alice.page;
    await bob.page.setViewportSize({ width: 1280, height: 800 });
    const chips = a.getByRole("list", { name: "Attachments" }).getByRole("listitem");

    // A 25 MiB file goes up in parts: cancel it midway; the upload is DELETEd.
    const big = path.join(dir, "big.bin");
    writeFileSync(big, Buffer.alloc(25 * 1024 * 1024, 7));
    const [chooser] = await Promise.all([a.waitForEvent("filechooser"), a.getByRole("button", { name: "Attach files" }).click()]);
    await chooser.setFiles(big);
    await a.getByRole("progressbar", { name: "Uploading big.bin" }).waitFor({ timeout: WAIT });
    const deleted = a.waitForRequest((r) => r.method() === "DELETE" && /\/uploads\/[^/]+$/.test(r.url()), { timeout: WAIT });
    await a.getByRole("button", { name: "Remove big.bin" }).click();
    await deleted;
    await expect.poll(() => chips.count()).toBe(0);

    // Paste an image into the composer, drop a text file on the conversation.
    await composer(a).focus();
    await a.evaluate(async () => {
      const c = document.createElement("canvas");
      c.width = 300;
      c.height = 500;
      const g = c.getContext("2d")!;
      g.fillStyle = "#e63";
      g.fillRect(0, 0, 300, 500);
      const blob = await new Promise<Blob>((r) => c.toBlob((b) => r(b!), "image/png"));
      const dt = new DataTransfer();
      dt.items.add(new File([blob], "image.png", { type: "image/png" }));
      document.querySelector("textarea")!.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
      const drop = new DataTransfer();
      drop.items.add(new File(["hello notes"], "notes.txt", { type: "text/plain" }));
      const zone = document.querySelector(".chat")!;
      zone.dispatchEvent(new DragEvent("dragenter", { dataTransfer: drop, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: drop, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => chips.count()).toBe(2);
    await expect.poll(() => a.getByRole("button", { name: "Send" }).isEnabled(), { timeout: WAIT }).toBe(true);
    await composer(a).press("Enter");
    const pastedRow = log(bob.page).locator(".msg", { has: bob.page.locator("a.att-file", { hasText: "notes.txt" }) });
    await pastedRow.waitFor({ timeout: WAIT });
    const pasted = pastedRow.locator(".att-image");
    expect(await pasted.getAttribute("aria-label")).toMatch(/^Open pasted-.*\.png$/);
    const pb = await pasted.boundingBox();
    expect(pb!.width / pb!.height).toBeCloseTo(300 / 500, 1);

    // A voice message: record, stop, it goes out by itself and plays inline for Bob.
    await a.getByRole("button", { name: "Record a voice message" }).click();
    const rec = a.getByRole("group", { name: "Recording a voice message" });
    await rec.getByText("0:01").waitFor({ timeout: WAIT });
    await rec.getByRole("button", { name: "Send voice" }).click();
    const audio = log(bob.page).locator(".att-audio audio").last();
    await audio.waitFor({ timeout: WAIT });
    await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.readyState), { timeout: WAIT }).toBeGreaterThan(0);

    // Alice deletes her first message: a tombstone for Bob, its files gone.
    const first = log(a).locator(".msg", { hasText: "Photo and report" });
    await first.hover();
    await first.getByRole("button", { name: "Delete message" }).click();
    await a.getByRole("dialog", { name: "Delete this message?" }).getByRole("button", { name: "Delete" }).click();
    const tomb = log(bob.page).locator(".msg .deleted-text").first();
    await tomb.waitFor({ timeout: WAIT });
    expect(await tomb.textContent()).toBe("This message was deleted");
    await log(a).locator(".msg .deleted-text").first().waitFor({ timeout: WAIT });
    expect(await log(bob.page).locator("a.att-file", { hasText: "report.pdf" }).count()).toBe(0);
    await bob.page.screenshot({ path: path.join(SHOTS, "media-more-1280x800.png") });
    await bob.page.setViewportSize({ width: 360, height: 740 });
    await bob.page.waitForTimeout(300);
    await bob.page.screenshot({ path: path.join(SHOTS, "media-more-360x740.png") });
    // The composer's emoji picker: search, insert at the cursor, recent first next time.
    await composer(a).fill("Party ");
    await a.getByRole("button", { name: "Emoji", exact: true }).click();
    const picker = a.getByRole("dialog", { name: "Emoji" });
    await picker.getByRole("searchbox").fill("heart");
    await a.screenshot({ path: path.join(SHOTS, "media-picker-1280x800.png") });
    await picker.getByRole("button", { name: "heart" }).first().click();
    expect(await composer(a).inputValue()).toMatch(/^Party .+$/u);
    await a.getByRole("button", { name: "Emoji", exact: true }).click();
    expect(await picker.locator(".emoji-head").first().textContent()).toBe("Recent");
    await a.keyboard.press("Escape");
    await picker.waitFor({ state: "detached" });
    expect(alice.problems).toEqual([]);
    expect(bob.problems).toEqual([]);
  });
});
