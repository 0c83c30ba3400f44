export async function loadHighlighter(bytes: ArrayBuffer): Promise<WebAssembly.Instance> {
  const { instance } = await WebAssembly.instantiate(bytes);
  return instance;
}
