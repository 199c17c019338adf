/**
 * A mono 16-bit PCM WAV of `seconds` of silence, built in memory (a 44-byte RIFF header and
 * zeroed samples): a voice message players can play and seek, and whose duration is known.
 */
export function silentWav(seconds: number, sampleRate = 8000): Buffer {
  const data = Math.round(sampleRate * seconds) * 2;
  const wav = Buffer.alloc(44 + data);
  wav.write("RIFF", 0, "ascii");
  wav.writeUInt32LE(36 + data, 4);
  wav.write("WAVEfmt ", 8, "ascii");
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36, "ascii");
  wav.writeUInt32LE(data, 40);
  return wav;
}
