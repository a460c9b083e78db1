// A small area chart of the last minutes on a canvas, scaled for the screen's pixel density.

type Point = [x: number, y: number];

/** Draws `values` (null = no data that second): runs get a line and a light fill, a lone point a dot. */
export function drawChart(canvas: HTMLCanvasElement, values: (number | null)[], color: string): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const hgt = canvas.clientHeight;
  if (!w || !hgt) return;
  if (canvas.width !== Math.round(w * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(hgt * dpr);
  }
  const c = canvas.getContext('2d');
  if (!c) return;
  c.setTransform(dpr, 0, 0, dpr, 0, 0);
  c.clearRect(0, 0, w, hgt);
  c.strokeStyle = '#e2e5ea';
  c.lineWidth = 1;
  c.beginPath();
  c.moveTo(0, hgt - 0.5);
  c.lineTo(w, hgt - 0.5);
  c.stroke();
  if (values.length < 2) return;
  const max = Math.max(1, ...values.filter((v): v is number => v !== null)) * 1.15;
  const pad = 3;
  // At least a minute wide, growing to the five minutes kept: new data enters on the right.
  const slots = Math.max(60, values.length);
  const off = slots - values.length;
  const step = w / (slots - 1);
  const y = (v: number) => hgt - 1 - (v / max) * (hgt - 1 - pad);
  const runs: Point[][] = [];
  let run: Point[] = [];
  values.forEach((v, i) => {
    if (v !== null) return void run.push([(off + i) * step, y(v)]);
    if (run.length) runs.push(run);
    run = [];
  });
  if (run.length) runs.push(run);
  c.strokeStyle = color;
  c.fillStyle = color;
  c.lineWidth = 1.6;
  c.lineJoin = 'round';
  for (const r of runs) {
    c.beginPath();
    if (r.length === 1) {
      c.arc(r[0][0], r[0][1], 2, 0, Math.PI * 2);
      c.fill();
      continue;
    }
    r.forEach(([px, py], i) => (i ? c.lineTo(px, py) : c.moveTo(px, py)));
    c.stroke();
    c.lineTo(r[r.length - 1][0], hgt);
    c.lineTo(r[0][0], hgt);
    c.closePath();
    c.globalAlpha = 0.12;
    c.fill();
    c.globalAlpha = 1;
  }
}
