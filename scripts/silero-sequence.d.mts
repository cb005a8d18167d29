export const SEQUENCE_MODEL_FILE: string;
export function shippedModelPath(): string;
export function sequenceModel(shipped?: Uint8Array): Promise<Uint8Array>;
