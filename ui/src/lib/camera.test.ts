import { describe, expect, it } from 'vitest';
import { RepeatFilter, bytesToBase64, cameraSupported, frameSize, openCamera, rgbaToGray } from './camera';

describe('camera helpers', () => {
  it('turns RGBA into one luma byte per pixel', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255]);
    expect(Array.from(rgbaToGray(rgba))).toEqual([255, 0, 76]);
  });

  it('encodes bytes as standard base64, also for frames bigger than one chunk', () => {
    expect(bytesToBase64(new Uint8Array([0, 255, 1]))).toBe('AP8B');
    const big = new Uint8Array(100_000).fill(7);
    expect(atob(bytesToBase64(big)).length).toBe(100_000);
  });

  it('asks for the back camera at the frame size, and says why it failed', async () => {
    let asked: MediaStreamConstraints | undefined;
    const stream = {} as MediaStream;
    const ok = {
      mediaDevices: {
        getUserMedia: (c: MediaStreamConstraints) => {
          asked = c;
          return Promise.resolve(stream);
        },
      },
    } as unknown as Navigator;
    expect(await openCamera(ok)).toBe(stream);
    expect(asked).toEqual({
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: 'environment' },
      audio: false,
    });
    const denied = {
      mediaDevices: { getUserMedia: () => Promise.reject(new Error('Permission denied')) },
    } as unknown as Navigator;
    await expect(openCamera(denied)).rejects.toThrow('Camera not available: Permission denied');
  });

  it('caps the frame width and keeps the aspect ratio', () => {
    expect(frameSize(1920, 1080)).toEqual({ width: 1280, height: 720 });
    expect(frameSize(640, 480)).toEqual({ width: 640, height: 480 });
    expect(frameSize(0, 480)).toEqual({ width: 0, height: 0 });
  });

  it('scans a code once while it stays in front of the camera', () => {
    const f = new RepeatFilter(4000);
    expect(f.fresh('A', 0)).toBe(true);
    expect(f.fresh('A', 1000)).toBe(false);
    expect(f.fresh('A', 4500)).toBe(false); // still seen every frame
    expect(f.fresh('B', 4600)).toBe(true);
    expect(f.fresh('A', 4700)).toBe(true);
    expect(f.fresh('A', 9000)).toBe(true); // gone for longer than the quiet time
  });

  it('knows when no camera API exists', () => {
    expect(cameraSupported({} as Navigator)).toBe(false);
    expect(
      cameraSupported({ mediaDevices: { getUserMedia: () => Promise.reject() } } as unknown as Navigator),
    ).toBe(true);
  });
});
