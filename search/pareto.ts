/** Objective vectors are minimised (negate what should grow, e.g. accuracy). */
export type Objectives = readonly number[];

export function dominates(a: Objectives, b: Objectives): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

/** Indices of the non-dominated points (duplicates keep their first occurrence), in lexicographic order. */
export function firstFront(points: Objectives[]): number[] {
  const order = points.map((_, i) => i).sort((i, j) => lexicographic(points[i], points[j]) || i - j);
  const front: number[] = [];
  for (const i of order) {
    // Sorted lexicographically, no later point dominates an earlier one.
    if (!front.some((f) => dominates(points[f], points[i]) || equal(points[f], points[i]))) front.push(i);
  }
  return front;
}

/** NSGA-II's fast non-dominated sort: fronts of indices, best first. */
export function nonDominatedSort(points: Objectives[]): number[][] {
  const n = points.length;
  const dominatedBy = points.map(() => [] as number[]);
  const count = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i], points[j])) {
        dominatedBy[i].push(j);
        count[j]++;
      } else if (dominates(points[j], points[i])) {
        dominatedBy[j].push(i);
        count[i]++;
      }
    }
  }
  const fronts: number[][] = [];
  let current = points.map((_, i) => i).filter((i) => count[i] === 0);
  while (current.length) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) for (const j of dominatedBy[i]) if (--count[j] === 0) next.push(j);
    current = next;
  }
  return fronts;
}

/** Crowding distance of each member of a front (boundary points: Infinity). */
export function crowdingDistance(front: number[], points: Objectives[]): Map<number, number> {
  const distance = new Map(front.map((i) => [i, 0]));
  if (front.length === 0) return distance;
  for (let m = 0; m < points[front[0]].length; m++) {
    const sorted = [...front].sort((a, b) => points[a][m] - points[b][m]);
    const range = points[sorted.at(-1)!][m] - points[sorted[0]][m];
    distance.set(sorted[0], Infinity);
    distance.set(sorted.at(-1)!, Infinity);
    if (range === 0) continue;
    for (let k = 1; k < sorted.length - 1; k++) {
      distance.set(sorted[k], distance.get(sorted[k])! + (points[sorted[k + 1]][m] - points[sorted[k - 1]][m]) / range);
    }
  }
  return distance;
}

function lexicographic(a: Objectives, b: Objectives): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function equal(a: Objectives, b: Objectives): boolean {
  return lexicographic(a, b) === 0;
}
