/**
 * Every check devenv knows, in display order. A new check is one file in
 * checks/ named by its id, exporting a plain object, plus one line here.
 */
import type { Check } from '../src/core/check.js';
import { distrolessImages } from './distroless-images.js';
import { dockerDaemon } from './docker-daemon.js';
import { gnuTar } from './gnu-tar.js';
import { goVersion } from './go-version.js';

export const allChecks: readonly Check[] = [
  // toolchain
  goVersion,
  gnuTar,
  // docker
  dockerDaemon,
  distrolessImages,
];
