/**
 * Every check devenv knows, in display order. A new check is one file in
 * checks/ named by its id, exporting a plain object, plus one line here.
 */
import type { Check } from '../src/engine/check.js';
import { buildToolsImage } from './build-tools-image.js';
import { distrolessImages } from './distroless-images.js';
import { dockerDaemon } from './docker-daemon.js';
import { envoyBinaries } from './envoy-binaries.js';
import { fpm } from './fpm.js';
import { gnuTar } from './gnu-tar.js';
import { goModules } from './go-modules.js';
import { goVendor } from './go-vendor.js';
import { goVersion } from './go-version.js';
import { gopathLayout } from './gopath-layout.js';
import { helm } from './helm.js';
import { hubTag } from './hub-tag.js';
import { initNetwork } from './init-network.js';
import { kubeconfig } from './kubeconfig.js';
import { kubectlCache } from './kubectl-cache.js';
import { networkReach } from './network-reach.js';
import { pilotLocal } from './pilot-local.js';
import { registryLogin } from './registry-login.js';
import { ruby } from './ruby.js';
import { wasmFilters } from './wasm-filters.js';
import { ztunnel } from './ztunnel.js';

export const allChecks: readonly Check[] = [
  // toolchain
  goVersion,
  gnuTar,
  ruby,
  fpm,
  // repository
  gopathLayout,
  goModules,
  goVendor,
  // docker
  dockerDaemon,
  buildToolsImage,
  distrolessImages,
  // artifacts
  envoyBinaries,
  wasmFilters,
  ztunnel,
  helm,
  kubectlCache,
  initNetwork,
  // workspace
  hubTag,
  registryLogin,
  pilotLocal,
  // cluster
  kubeconfig,
  // network (opt-in: doctor --profile network)
  networkReach,
];
