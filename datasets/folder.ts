import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError } from '../tensor/index.js';
import { makeDataset, type ImageDataset } from './image_dataset.js';

/** File extensions treated as images (formats sharp decodes). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp', '.svg']);

export interface FolderOptions {
  /** Images are resized (shorter side, centre crop) to size x size. */
  size: number;
  channels: 1 | 3;
}

/** An image folder with one subfolder per class (sorted names are the labels), decoded with sharp. */
export async function loadImageFolder(dir: string, o: FolderOptions): Promise<ImageDataset> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`${dir}: not a folder`);
  const classes = readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort();
  if (classes.length === 0) throw new InputError(`${dir}: no class subfolders (expected one folder of images per class)`);
  const files: { path: string; label: number }[] = [];
  classes.forEach((cls, label) => {
    for (const f of readdirSync(join(dir, cls)).sort()) {
      if (IMAGE_EXTENSIONS.has(extname(f).toLowerCase())) files.push({ path: join(dir, cls, f), label });
    }
  });
  if (files.length === 0) throw new InputError(`${dir}: no images in its ${classes.length} class folders (${[...IMAGE_EXTENSIONS].join(', ')})`);
  const per = o.size * o.size * o.channels;
  const images = new Uint8Array(files.length * per);
  const labels = new Uint8Array(files.length);
  const { default: sharp } = await import('sharp');
  for (let i = 0; i < files.length; i++) {
    let img = sharp(files[i].path, { failOn: 'error' }).rotate().resize(o.size, o.size, { fit: 'cover' });
    img = o.channels === 1 ? img.toColourspace('b-w') : img.removeAlpha().toColourspace('srgb');
    try {
      const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== o.channels) throw new Error(`decoded ${info.channels} channels`);
      images.set(data, i * per);
    } catch (err) {
      throw new InputError(`${files[i].path}: cannot decode image (${String((err as Error).message).split('\n')[0]})`);
    }
    labels[i] = files[i].label;
  }
  return makeDataset({ name: dir, images, labels, height: o.size, width: o.size, channels: o.channels, classes: classes.length, labelNames: classes }, dir);
}
