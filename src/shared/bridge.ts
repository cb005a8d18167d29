export interface UtterlyBridge { readonly platform: string }
