// Camera scanning at the door: grab frames from a <video>, turn them into 8-bit
// grayscale for the Rust decoder, and drop repeats of the code that is still in
// front of the lens (a repeat would otherwise read as "already redeemed").

/** Whether this webview can open a camera at all. */
export function cameraSupported(nav: Navigator = navigator): boolean {
  return typeof nav.mediaDevices?.getUserMedia === 'function';
}

/**
 * Opens the camera: the back one where there is a choice, 1280x720 preferred (the
 * decoder's frame size). Throws an Error whose message a person can read.
 */
export async function openCamera(nav: Navigator = navigator): Promise<MediaStream> {
  try {
    return await nav.mediaDevices.getUserMedia({
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: 'environment' },
      audio: false,
    });
  } catch (e) {
    throw new Error(`Camera not available: ${(e as Error).message || 'permission denied or no camera'}`);
  }
}

/** Shows `stream` in `video` (once the caller has put the element on screen). */
export async function showCamera(video: HTMLVideoElement | null | undefined, stream: MediaStream): Promise<void> {
  if (!video) return;
  video.srcObject = stream;
  await video.play().catch(() => {});
}

/** Turns the camera off. */
export function closeCamera(stream: MediaStream | null): void {
  stream?.getTracks().forEach((t) => t.stop());
}

/** Luma (ITU-R BT.601, integer weights) of RGBA pixels, one byte per pixel. */
export function rgbaToGray(rgba: Uint8ClampedArray | Uint8Array): Uint8Array {
  const n = Math.floor(rgba.length / 4);
  const out = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    out[i] = (77 * rgba[j]! + 150 * rgba[j + 1]! + 29 * rgba[j + 2]!) >> 8;
  }
  return out;
}

/** Standard base64 of bytes, in chunks so big frames do not overflow the call stack. */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(bin);
}

/** Frame size to decode: the camera's own, scaled down to at most `maxWidth` wide. */
export function frameSize(w: number, h: number, maxWidth = 1280): { width: number; height: number } {
  if (w <= 0 || h <= 0) return { width: 0, height: 0 };
  const k = Math.min(1, maxWidth / w);
  return { width: Math.round(w * k), height: Math.round(h * k) };
}

/**
 * Remembers the last code read by the camera; `fresh` says whether a decoded text
 * should be scanned: a new code always, the same one only after `quietMs` without
 * seeing it (the guest took the phone away and came back).
 */
export class RepeatFilter {
  private last: string | null = null;
  private seenAt = 0;
  constructor(private readonly quietMs = 4000) {}

  fresh(text: string, now: number): boolean {
    const repeat = text === this.last && now - this.seenAt < this.quietMs;
    this.last = text;
    this.seenAt = now;
    return !repeat;
  }
}

/**
 * Decode frames of `video` one at a time while `running()` says so: the next frame
 * is grabbed only after the decoder answered, so a slow frame never piles up work.
 * Each text read goes to `onText`; a failure to `onError`.
 */
export async function decodeLoop(
  video: () => HTMLVideoElement | null | undefined,
  running: () => boolean,
  decode: (width: number, height: number, grayBase64: string) => Promise<string | null>,
  onText: (text: string) => Promise<void> | void,
  onError: (e: unknown) => void,
  pauseMs = 120,
): Promise<void> {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  while (running() && ctx) {
    const v = video();
    const { width, height } = frameSize(v?.videoWidth ?? 0, v?.videoHeight ?? 0);
    if (v && width > 0 && height > 0) {
      canvas.width = width;
      canvas.height = height;
      ctx.drawImage(v, 0, 0, width, height);
      const gray = rgbaToGray(ctx.getImageData(0, 0, width, height).data);
      try {
        const found = await decode(width, height, bytesToBase64(gray));
        if (found) await onText(found);
      } catch (e) {
        onError(e);
      }
    }
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}
