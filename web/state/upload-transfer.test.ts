/** An upload the server refuses when it starts (quotas): the chip shows the server's own words. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json } from "./fakes";
import { transfer } from "./upload-transfer";
import type { UploadItem } from "./uploads";

beforeEach(() => {
  vi.stubGlobal("fetch", vi.fn());
});

afterEach(() => {
  vi.unstubAllGlobals();
});

async function refusedWith(res: Response): Promise<Partial<UploadItem>[]> {
  vi.mocked(fetch).mockResolvedValueOnce(res);
  const patches: Partial<UploadItem>[] = [];
  await transfer({
    roomId: "r1",
    file: new File(["hello"], "notes.txt", { type: "text/plain" }),
    extra: {},
    signal: new AbortController().signal,
    alive: () => true,
    patch: (p) => patches.push(p),
    created: () => expect.unreachable("a refused upload has no id"),
  });
  return patches;
}

describe("an upload refused by a quota", () => {
  it("shows the server's message for too many uploads in progress (429), not a generic rate-limit text", async () => {
    const message = "at most 10 uploads can be in progress at once; wait for one to finish";
    expect(await refusedWith(json({ error: { code: "too_many_uploads", message } }, 429))).toEqual([
      { status: "failed", error: "At most 10 uploads can be in progress at once; wait for one to finish." },
    ]);
  });

  it("shows the server's message for the daily quota (429) and for a full room (413)", async () => {
    const daily = json({ error: { code: "upload_quota", message: "you have uploaded 1 GiB in the last 24 hours, and 1 GiB is the most per day; try again later" } }, 429, { "retry-after": "3600" });
    expect((await refusedWith(daily))[0]?.error).toBe("You have uploaded 1 GiB in the last 24 hours, and 1 GiB is the most per day; try again later.");
    const full = json({ error: { code: "room_storage_full", message: "this room's files take 10 GiB of the 10 GiB it may hold; delete some files to make room" } }, 413);
    expect((await refusedWith(full))[0]?.error).toBe("This room's files take 10 GiB of the 10 GiB it may hold; delete some files to make room.");
  });
});
