export function download(data: string, name: string): void {
  const url = URL.createObjectURL(new Blob([data], { type: "text/plain" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

export async function loadTiles(): Promise<Response> {
  return fetch("https://tiles.openstreetmap.org/0/0/0.png");
}
