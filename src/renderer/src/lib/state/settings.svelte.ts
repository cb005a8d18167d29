// The app's settings as the settings dialog edits them, checked with the back end's own schema
// before they are sent, and the session settings new recordings and imports use.
import { describeIssues } from '../../../../shared/api';
import type { SessionSettings } from '../../../../shared/sessions';
import { AppSettingsSchema, DEFAULT_SETTINGS, type AppSettings } from '../../../../shared/settings';
import { api } from '../api';

export class SettingsState {
  current = $state.raw<AppSettings>(DEFAULT_SETTINGS);
  loaded = $state(false);

  /** How a new recording is processed: the Record panel's mode, interim and sensitivity. */
  session = $derived<SessionSettings>({
    mode: this.current.mode,
    interim_results: this.current.interim_results,
    vad: this.current.vad,
    chunk_ms: this.current.chunk_ms,
    ...(this.current.max_futures === null ? {} : { max_futures: this.current.max_futures }),
  });

  /** How a new import or re-run is processed: the Settings' import defaults, never the Record panel's controls. */
  importSession = $derived<SessionSettings>({
    mode: this.current.imports.mode,
    interim_results: this.current.imports.interim_results,
    vad: this.current.imports.vad,
    chunk_ms: this.current.chunk_ms,
    ...(this.current.max_futures === null ? {} : { max_futures: this.current.max_futures }),
  });

  async load(): Promise<void> {
    const result = await api.getSettings({});
    if (result.ok) this.current = result.value;
    this.loaded = true;
  }

  /** Checks and keeps new settings; returns what is wrong with them, naming the fields. */
  async save(candidate: unknown): Promise<string | null> {
    const checked = AppSettingsSchema.safeParse(candidate);
    if (!checked.success) return describeIssues(checked.error);
    const result = await api.setSettings({ settings: checked.data });
    if (!result.ok) return result.error.message;
    this.current = result.value;
    return null;
  }
}

export const settings = new SettingsState();
