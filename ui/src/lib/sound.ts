// Short door beeps with WebAudio: one tone pattern per outcome.
import { BEEPS, type Tone } from './verdict';

let ctx: AudioContext | null = null;

export function beep(tone: Tone): void {
  try {
    ctx ??= new AudioContext();
    const b = BEEPS[tone];
    const start = ctx.currentTime + 0.01;
    for (let i = 0; i < b.count; i++) {
      const t0 = start + (i * (b.ms + 70)) / 1000;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = b.wave;
      osc.frequency.value = b.freq;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + b.ms / 1000);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0);
      osc.stop(t0 + b.ms / 1000 + 0.02);
    }
  } catch (e) {
    // No audio device: the screen colour still tells the outcome.
    console.warn('beep failed', e);
  }
}
