/**
 * Stable warning codes. A warning means a figure rests on a guess; each guess is named,
 * never silent. Codes are part of the public contract: add new ones, never rename.
 */
export const WARNING_CODES = {
  'model-arch-not-released':
    'The provider has not published the model size; parameters are an estimated range.',
  'model-arch-multimodal': 'The model is multimodal; only the text path is modelled.',
  'model-size-user-supplied':
    'The model size comes from --params-billion / --active-params-billion, not the catalog.',
  'params-approximate':
    'The parameter count is derived from published component sizes, not stated by the authors.',
  'architecture-assumed': 'The model architecture is not published; a diffusion model was assumed.',
  'media-steps-assumed':
    'The number of denoising steps the provider runs is not published; a default was assumed.',
  'audio-token-rate-assumed':
    'The audio tokens per second of this model are not published; a typical codec rate was assumed.',
  'hardware-assumed': 'The serving GPU type is not known for this provider; a default GPU was assumed.',
  'hardware-extrapolated':
    'No measurements exist for this GPU; its coefficients are scaled from a measured GPU by spec sheet ratios.',
  'batch-size-assumed': 'The serving batch size is unknown; a typical range was assumed.',
  'precision-unsupported':
    'This GPU has no native kernels for the requested precision; weights shrink but compute does not.',
  'region-unknown-world-average': 'The region is unknown; the world-average grid intensity was used.',
  'region-provider-default': 'No region was given; the provider’s default data-centre region was used.',
  'grid-hour-outside-trace': 'The event time lies outside the hourly trace; the annual average was used.',
  'embodied-extrapolated':
    'No published embodied-carbon figure exists for this hardware; a similar part’s figure was used.',
  'price-unknown': 'No public price is known for this model; cost is omitted.',
  'calibration-weak': 'This modality has little calibration data; the range is wide.',
  'measured-energy-used': 'Energy was measured by the caller; the model estimate was not used for energy.',
  'tokens-estimated': 'A token count was derived from another unit (characters or seconds).',
} as const;

export type WarningCode = keyof typeof WARNING_CODES;

export interface Warning {
  code: WarningCode;
  message: string;
}

const memo = new Map<string, Warning>();

/** A warning object; identical warnings are shared (frozen), since estimates run per request. */
export function warning(code: WarningCode, detail?: string): Warning {
  const key = detail ? `${code}\u0000${detail}` : code;
  let w = memo.get(key);
  if (!w) {
    w = Object.freeze({ code, message: detail ? `${WARNING_CODES[code]} ${detail}` : WARNING_CODES[code] });
    if (memo.size < 10_000) memo.set(key, w);
  }
  return w;
}
