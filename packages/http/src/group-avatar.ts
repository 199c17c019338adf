import { createHash } from "node:crypto";

/** One tile of a group avatar. */
export interface AvatarMember {
  /** Picks the tile's colour, so a member keeps it across groups. */
  userId: string;
  /** Its first letter is drawn. */
  name: string;
}

const PALETTE = [
  "#e57373",
  "#f06292",
  "#ba68c8",
  "#7986cb",
  "#4fc3f7",
  "#4db6ac",
  "#81c784",
  "#ffb74d",
  "#a1887f",
  "#90a4ae",
];

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  );

/** The first character (a whole code point, so emoji and CJK survive), upper-cased. */
function initial(name: string): string {
  const first = [...name.trim()][0] ?? "?";
  return first.toUpperCase();
}

function colour(userId: string): string {
  const byte = createHash("sha256").update(userId).digest()[0]!;
  return PALETTE[byte % PALETTE.length]!;
}

/**
 * A group avatar: the initials of up to nine members on a grid (1 tile, 2x2
 * up to four members, 3x3 beyond), as an SVG document.
 */
export function renderGroupAvatar(members: readonly AvatarMember[], size = 120): string {
  const shown = members.slice(0, 9);
  const columns = shown.length <= 1 ? 1 : shown.length <= 4 ? 2 : 3;
  const rows = Math.max(1, Math.ceil(shown.length / columns));
  const gap = 4;
  const cell = (size - gap * (columns + 1)) / columns;
  // Centre the rows vertically when the last ones are missing.
  const top = (size - (rows * cell + (rows - 1) * gap)) / 2;
  const tiles = shown.map((member, index) => {
    const row = Math.floor(index / columns);
    const inRow = Math.min(columns, shown.length - row * columns);
    // Centre a short last row horizontally.
    const left = (size - (inRow * cell + (inRow - 1) * gap)) / 2;
    const x = left + (index % columns) * (cell + gap);
    const y = top + row * (cell + gap);
    const fontSize = Math.round(cell * 0.5);
    return (
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${cell.toFixed(1)}" height="${cell.toFixed(1)}" rx="4" fill="${colour(member.userId)}"/>` +
      `<text x="${(x + cell / 2).toFixed(1)}" y="${(y + cell / 2).toFixed(1)}" font-size="${fontSize}" text-anchor="middle" dominant-baseline="central" fill="#fff" font-family="sans-serif">${escapeXml(initial(member.name))}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">` +
    `<rect width="${size}" height="${size}" rx="8" fill="#eceff1"/>${tiles.join("")}</svg>`
  );
}
