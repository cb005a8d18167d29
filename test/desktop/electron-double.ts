// A strict stand-in for the parts of Electron the desktop app uses, for tests where the Electron
// binary is absent. Each behaviour the app relies on follows Electron's documentation or tracker,
// cited beside it, and fails where Electron fails: a double kinder than Electron hides bugs (a
// transferred ArrayBuffer once made desktop recording silent).
//
// Use: `vi.mock('electron', async () => (await import('./electron-double')).electron.module)`;
// the test drives the same `electron` object (one module instance per test file).
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

type Listener = (...args: any[]) => unknown;

/**
 * Electron's IPC serializes arguments with the structured clone algorithm: "Sending Functions,
 * Promises, Symbols, WeakMaps, or WeakSets will throw an exception"
 * (docs/api/ipc-renderer.md, `ipcRenderer.send`). Node's structuredClone throws on the same.
 */
export function ipcClone<T>(value: T): T {
  return structuredClone(value);
}

/** Delivery across processes is asynchronous and ordered. */
const later = (task: () => void) => void setImmediate(task);

// ---------------------------------------------------------------------------------------------
// Frames, contents, windows

let nextRoutingId = 1;

/** WebFrameMain: `url`, `processId`, `routingId`, `parent` (docs/api/web-frame-main.md). */
export class WebFrameMainDouble {
  readonly routingId = nextRoutingId++;
  parent: WebFrameMainDouble | null = null;
  constructor(
    public url: string,
    readonly processId: number,
  ) {}
}

export class WebContentsDouble extends EventEmitter {
  readonly mainFrame: WebFrameMainDouble;
  destroyed = false;
  windowOpenHandler: Listener | undefined;
  /** What the page's ipcRenderer listeners receive: see `IpcRendererDouble`. */
  readonly renderer: IpcRendererDouble;
  constructor(readonly processId: number) {
    super();
    this.mainFrame = new WebFrameMainDouble('about:blank', processId);
    this.renderer = new IpcRendererDouble(this);
  }
  getURL(): string {
    return this.mainFrame.url;
  }
  /** A reload: a main-frame, cross-document navigation ('did-start-navigation' with its details,
   * docs/api/web-contents.md); the old page's ports close with it. */
  reload(): void {
    this.emit('did-start-navigation', { url: this.mainFrame.url, isMainFrame: true, isSameDocument: false, frame: this.mainFrame });
    this.renderer.closePorts();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(handler: Listener): void {
    this.windowOpenHandler = handler;
  }
  /** "Send an asynchronous message to the renderer process via channel, along with arguments.
   * Arguments will be serialized with the Structured Clone Algorithm" (docs/api/web-contents.md). */
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    const cloned = ipcClone(args);
    later(() => this.renderer.deliver(channel, cloned));
  }
}

let nextProcessId = 100;

export class BrowserWindowDouble extends EventEmitter {
  static readonly windows: BrowserWindowDouble[] = [];
  static getAllWindows(): BrowserWindowDouble[] {
    return BrowserWindowDouble.windows.filter((w) => !w.destroyed);
  }
  static getFocusedWindow(): BrowserWindowDouble | null {
    return BrowserWindowDouble.getAllWindows()[0] ?? null;
  }
  readonly webContents = new WebContentsDouble(nextProcessId++);
  destroyed = false;
  visible = false;
  focused = false;
  minimized = false;
  bounds: { x: number; y: number; width: number; height: number };
  constructor(readonly options: Record<string, any> = {}) {
    super();
    requireReady('new BrowserWindow()');
    this.bounds = { x: options.x ?? 0, y: options.y ?? 0, width: options.width ?? 800, height: options.height ?? 600 };
    BrowserWindowDouble.windows.push(this);
  }
  async loadFile(path: string): Promise<void> {
    this.webContents.mainFrame.url = pathToFileURL(path).href;
  }
  async loadURL(url: string): Promise<void> {
    this.webContents.mainFrame.url = url;
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focused = true;
  }
  restore(): void {
    this.minimized = false;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getBounds() {
    return { ...this.bounds };
  }
  getNormalBounds() {
    return { ...this.bounds };
  }
  isMaximized(): boolean {
    return false;
  }
  maximize(): void {}
  close(): void {
    if (this.destroyed) return;
    const event = { defaultPrevented: false, preventDefault: () => (event.defaultPrevented = true) };
    this.emit('close', event);
    if (event.defaultPrevented) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.webContents.renderer.closePorts();
    this.emit('closed');
    this.webContents.emit('destroyed');
  }
}

// ---------------------------------------------------------------------------------------------
// Message ports

/**
 * The renderer's DOM MessagePort (standard: transfers anything transferable). Its peer may be
 * another DOM port or, once sent to main, a MessagePortMain.
 */
export class RendererMessagePort extends EventEmitter {
  peer: RendererMessagePort | MessagePortMainDouble | undefined;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  closed = false;
  postMessage(message: unknown, transfer: Transferable[] = []): void {
    if (this.closed) return;
    const peer = this.peer;
    const buffers = transfer.filter((t): t is ArrayBuffer => t instanceof ArrayBuffer);
    // The transfer detaches the buffers in the sender either way (the standard, and
    // electron/electron#34905: "Transferable object ownership is correctly lost in the renderer").
    const copy = structuredClone(message, { transfer: buffers });
    if (peer instanceof MessagePortMainDouble) {
      // electron/electron#34905 (open): a message from a renderer MessagePort to a MessagePortMain
      // that transfers an ArrayBuffer arrives with its data lost: shell/common/v8_util.cc
      // deserializes without the transferred buffers. A copy (no transfer list) arrives whole.
      peer.receive(buffers.length > 0 ? null : copy);
    } else if (peer) {
      later(() => peer.dispatch(copy));
    }
  }
  dispatch(data: unknown): void {
    this.onmessage?.({ data });
    this.emit('message', { data });
  }
  addEventListener(type: 'message', listener: Listener): void {
    this.on(type, listener);
  }
  start(): void {}
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.peer instanceof MessagePortMainDouble) this.peer.remoteClosed();
  }
}

/** The renderer's `MessageChannel` (a global in the window and its preload). */
export class RendererMessageChannel {
  readonly port1 = new RendererMessagePort();
  readonly port2 = new RendererMessagePort();
  constructor() {
    this.port1.peer = this.port2;
    this.port2.peer = this.port1;
  }
}

/**
 * MessagePortMain (docs/api/message-port-main.md): 'message' events carry `{ data, ports }`;
 * "Messages will be queued until this method [start] is called"; 'close' is "Emitted when the
 * remote end of a MessagePortMain object becomes disconnected".
 */
export class MessagePortMainDouble extends EventEmitter {
  private queue: unknown[] = [];
  private started = false;
  closed = false;
  receive(data: unknown): void {
    later(() => {
      if (this.closed) return;
      if (this.started) this.emit('message', { data, ports: [] });
      else this.queue.push(data);
    });
  }
  start(): void {
    this.started = true;
    const queued = this.queue;
    this.queue = [];
    for (const data of queued) this.emit('message', { data, ports: [] });
  }
  close(): void {
    this.closed = true;
  }
  remoteClosed(): void {
    later(() => {
      if (!this.closed) this.emit('close');
    });
  }
  postMessage(): void {
    throw new Error('the double does not model main-to-renderer port messages');
  }
}

// ---------------------------------------------------------------------------------------------
// IPC

export class IpcMainDouble extends EventEmitter {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, handler: Listener): void {
    // lib/browser/ipc-main-impl.ts: "Attempted to register a second handler for '<channel>'".
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

/** The page's ipcRenderer (docs/api/ipc-renderer.md), sending as its window's main frame. */
export class IpcRendererDouble extends EventEmitter {
  private ports: RendererMessagePort[] = [];
  /** `frame`: the frame it runs in (a sub frame's preload too, with nodeIntegrationInSubFrames). */
  constructor(
    private readonly contents: WebContentsDouble,
    private readonly frame: WebFrameMainDouble | null = contents.mainFrame,
  ) {
    super();
  }
  /** IpcMainEvent / IpcMainInvokeEvent: `sender`, `senderFrame` ("null if the frame is gone"), `processId`, `frameId`. */
  private event() {
    return { sender: this.contents, senderFrame: this.frame, processId: this.contents.processId, frameId: this.frame?.routingId };
  }
  deliver(channel: string, args: unknown[]): void {
    if (this.contents.destroyed) return;
    this.emit(channel, {}, ...args);
  }
  /**
   * "Errors thrown through handle in the main process are not transparent as they are serialized
   * and only the message property from the original error is provided to the renderer process"
   * (docs/api/ipc-renderer.md, `invoke`).
   */
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const cloned = ipcClone(args);
    const handler = ipcMain.handlers.get(channel);
    if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    let result: unknown;
    try {
      // Queued behind the messages sent before it: Invoke and Message share one Mojo pipe
      // (ElectronApiIPC in shell/common/api/api.mojom), which keeps their order.
      result = await new Promise((resolve, reject) =>
        later(() =>
          Promise.resolve()
            .then(() => handler(this.event(), ...cloned))
            .then(resolve, reject),
        ),
      );
    } catch (error) {
      throw new Error(`Error invoking remote method '${channel}': ${String(error)}`, { cause: error });
    }
    return ipcClone(result);
  }
  send(channel: string, ...args: unknown[]): void {
    const cloned = ipcClone(args);
    later(() => ipcMain.emit(channel, this.event(), ...cloned));
  }
  /** "transfer MessagePort[] (optional)": only ports travel in the transfer list; each arrives
   * in main as a MessagePortMain in `event.ports` (docs/api/ipc-renderer.md, `postMessage`). */
  postMessage(channel: string, message: unknown, transfer: unknown[] = []): void {
    for (const item of transfer) if (!(item instanceof RendererMessagePort)) throw new TypeError('ipcRenderer.postMessage transfers only MessagePorts');
    const cloned = ipcClone(message);
    const ports = (transfer as RendererMessagePort[]).map((rendererPort) => {
      const mainPort = new MessagePortMainDouble();
      // The port's other end stays in the renderer and now talks to main.
      const other = rendererPort.peer as RendererMessagePort;
      other.peer = mainPort;
      this.ports.push(other);
      return mainPort;
    });
    later(() => ipcMain.emit(channel, { ...this.event(), ports }, cloned));
  }
  /** The page went away: its ports close, and main's ends hear it. */
  closePorts(): void {
    for (const port of this.ports) port.close();
    this.ports = [];
  }
}

// ---------------------------------------------------------------------------------------------
// contextBridge

const CLONEABLE = [ArrayBuffer, DataView, Date, RegExp, Map, Set, Error, Blob];

/**
 * docs/api/context-bridge.md, "Parameter / Error / Return Type support": functions are proxied
 * (their arguments and results crossing the bridge the same way), Promises proxied, objects and
 * arrays copied, cloneable types (ArrayBuffer, typed arrays, ...) "serialized via structured
 * clone": a buffer handed across is a copy; Symbols cannot cross.
 */
export function acrossBridge(value: unknown): unknown {
  if (typeof value === 'function') {
    return (...args: unknown[]) => acrossBridge((value as Listener)(...args.map(acrossBridge)));
  }
  if (typeof value === 'symbol') throw new TypeError('Symbols cannot be sent over the context bridge');
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Promise) return value.then(acrossBridge, (error: unknown) => Promise.reject(acrossBridge(error)));
  if (ArrayBuffer.isView(value) || CLONEABLE.some((type) => value instanceof type)) return structuredClone(value);
  if (Array.isArray(value)) return value.map(acrossBridge);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    throw new TypeError(`an object of class ${proto?.constructor?.name} cannot be sent over the context bridge`);
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, acrossBridge(v)]));
}

// ---------------------------------------------------------------------------------------------
// The app and the rest

let ready = false;
let readyResolve: () => void = () => undefined;
const readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));

function requireReady(what: string): void {
  // e.g. docs/api/browser-window.md: "You cannot use this module until the ready event of the
  // app module is emitted"; docs/api/screen.md likewise.
  if (!ready) throw new Error(`${what} cannot be used before the app is ready`);
}

class AppDouble extends EventEmitter {
  isPackaged = false;
  name = 'Utterly';
  version = '0.0.0-test';
  paths = new Map<string, string>();
  appPath = process.cwd();
  quitCalls = 0;
  singleInstanceLock = true;
  aboutPanelOptions: Record<string, unknown> | undefined;
  whenReady(): Promise<void> {
    return readyPromise;
  }
  isReady(): boolean {
    return ready;
  }
  getPath(name: string): string {
    const path = this.paths.get(name);
    // docs/api/app.md getPath: "If app.getPath('logs') is called without app.setAppLogsPath()
    // being called first, a default log directory will be created"; an unknown name throws.
    if (path === undefined) throw new Error(`Failed to get '${name}' path`);
    return path;
  }
  setPath(name: string, path: string): void {
    this.paths.set(name, path);
  }
  getAppPath(): string {
    return this.appPath;
  }
  getVersion(): string {
    return this.version;
  }
  getName(): string {
    return this.name;
  }
  quit(): void {
    this.quitCalls++;
    this.emit('quit-requested');
  }
  exit(): void {
    this.quitCalls++;
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstanceLock;
  }
  setAboutPanelOptions(options: Record<string, unknown>): void {
    this.aboutPanelOptions = options;
  }
  showAboutPanel(): void {}
}

export const ipcMain = new IpcMainDouble();
export const app = new AppDouble();

/** `node --v8-options`: the flags Node hands to V8, which a utility process drops from execArgv. */
let v8Flags: Set<string> | undefined;
function isV8Flag(arg: string): boolean {
  v8Flags ??= new Set(
    [...execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).matchAll(/^\s+--([a-z0-9-_]+)/gm)].map((m) => m[1]!.replaceAll('_', '-')),
  );
  const name = arg
    .replace(/^--(no-)?/, '')
    .split('=')[0]!
    .replaceAll('_', '-');
  return v8Flags.has(name);
}

export const children: ReturnType<typeof fork>[] = [];

/**
 * utilityProcess.fork (docs/api/utility-process.md), played by a Node child process speaking the
 * same messages. V8 options in `execArgv` have no effect: they reach Node after V8 has started
 * (shell/browser/api/electron_api_utility_process.cc appends them to the command line), while
 * `--js-flags` is read before V8 starts and is "only for V8 flags" (electron/electron#39465;
 * docs/api/command-line-switches.md). So V8 options are dropped and `--js-flags` applied.
 */
export const utilityProcess = {
  // `env`: "Environment key-value pairs. Default is process.env." (docs/api/utility-process.md)
  fork(modulePath: string, args: string[] = [], options: { execArgv?: string[]; stdio?: string; serviceName?: string; env?: NodeJS.ProcessEnv } = {}) {
    const execArgv: string[] = [];
    for (const arg of options.execArgv ?? []) {
      if (arg.startsWith('--js-flags=')) execArgv.push(...arg.slice('--js-flags='.length).split(/\s+/).filter(Boolean));
      else if (!isV8Flag(arg)) execArgv.push(arg);
    }
    const child = fork(modulePath, args, { serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv, env: options.env ?? process.env });
    children.push(child);
    const handle = new EventEmitter() as EventEmitter & Record<string, unknown>;
    return Object.assign(handle, {
      get pid() {
        return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
      },
      stdout: child.stdout,
      stderr: child.stderr,
      // "Send a message to the child process" with structured clone (docs: postMessage).
      postMessage: (message: unknown) => child.connected && child.send(message as object),
      kill: () => child.kill('SIGKILL'),
      on(event: string, listener: Listener) {
        // 'exit': "Emitted after the child process ends" with `code` only.
        if (event === 'exit') child.on('exit', (code) => listener(code ?? 1));
        else if (event === 'message') child.on('message', listener);
        else if (event === 'spawn') child.on('spawn', listener);
        else EventEmitter.prototype.on.call(handle, event, listener);
        return handle;
      },
    });
  },
};

export const dialog = {
  errorBoxes: [] as Array<{ title: string; content: string }>,
  /** docs/api/dialog.md: "can be called safely before the ready event". */
  showErrorBox(title: string, content: string) {
    dialog.errorBoxes.push({ title, content });
  },
  async showOpenDialog() {
    return { canceled: true, filePaths: [] as string[] };
  },
  async showSaveDialog() {
    return { canceled: true, filePath: '' };
  },
  async showMessageBox() {
    return { response: 0, checkboxChecked: false };
  },
};

export const Menu = {
  applicationMenu: null as unknown,
  buildFromTemplate(template: unknown[]) {
    return { items: template };
  },
  setApplicationMenu(menu: unknown) {
    Menu.applicationMenu = menu;
  },
};

export const protocol = {
  schemes: [] as unknown[],
  handlers: new Map<string, Listener>(),
  /** docs/api/protocol.md: "This method can only be used before the ready event of the app module gets emitted". */
  registerSchemesAsPrivileged(schemes: unknown[]) {
    if (ready) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
    protocol.schemes.push(...schemes);
  },
  handle(scheme: string, handler: Listener) {
    requireReady('protocol.handle');
    protocol.handlers.set(scheme, handler);
  },
};

export const session = {
  defaultSession: {
    permissionRequestHandler: undefined as Listener | undefined,
    permissionCheckHandler: undefined as Listener | undefined,
    setPermissionRequestHandler(handler: Listener) {
      this.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler(handler: Listener) {
      this.permissionCheckHandler = handler;
    },
  },
};

export const screen = {
  displays: [{ id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1080 }, bounds: { x: 0, y: 0, width: 1920, height: 1080 } }],
  getAllDisplays() {
    requireReady('screen');
    return screen.displays;
  },
};

export const webUtils = {
  /** docs/api/web-utils.md: the path of a File from the file system ('' for one made in JS). */
  getPathForFile(file: { path?: string }) {
    return file.path ?? '';
  },
};

/** What the preload exposed with contextBridge, as the page's main world sees it. */
export const mainWorld: Record<string, any> = {};

/** The page whose preload runs next: its ipcRenderer is the one the preload imports. */
let page: WebContentsDouble | undefined;
export const ipcRenderer = new Proxy({} as IpcRendererDouble, {
  get(_target, key) {
    if (!page) throw new Error('ipcRenderer is only available in a preload (no page is loading)');
    const value = (page.renderer as any)[key];
    return typeof value === 'function' ? value.bind(page.renderer) : value;
  },
});

export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown) {
    // docs/api/context-bridge.md: "contextIsolation must be enabled"; the key must be new.
    if (key in mainWorld) throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`);
    mainWorld[key] = acrossBridge(api);
  },
};

export const electron = {
  app,
  ipcMain,
  dialog,
  Menu,
  protocol,
  session,
  screen,
  children,
  mainWorld,
  BrowserWindow: BrowserWindowDouble,
  /** Emits 'ready' as Electron does once it has initialised. */
  becomeReady(): void {
    // Chromium makes its profile folder, userData, as it starts.
    const userData = app.paths.get('userData');
    if (userData) mkdirSync(userData, { recursive: true });
    ready = true;
    readyResolve();
    app.emit('ready');
  },
  /** The page of `contents` is loading: the next preload imported runs in it. */
  loadingPage(contents: WebContentsDouble): void {
    page = contents;
    for (const key of Object.keys(mainWorld)) delete mainWorld[key];
  },
  module: {
    app,
    ipcMain,
    ipcRenderer,
    contextBridge,
    webUtils,
    utilityProcess,
    dialog,
    Menu,
    protocol,
    session,
    screen,
    BrowserWindow: BrowserWindowDouble,
    default: undefined as unknown,
  },
};
electron.module.default = electron.module;

// The module's own names, for a resolve hook that stands the double in for `electron` outside
// vitest (bench/desktop-audio.child.ts).
export { BrowserWindowDouble as BrowserWindow };
