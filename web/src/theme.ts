const STORAGE_KEY = 'greenprint-theme';

export type Theme = 'light' | 'dark';

const listeners = new Set<() => void>();

/** The theme in force: the stored choice, else the system's preference. */
export function currentTheme(): Theme {
  const set = document.documentElement.dataset.theme;
  if (set === 'light' || set === 'dark') return set;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function onThemeChange(listener: () => void): void {
  listeners.add(listener);
}

/** Applies the stored choice and wires the toggle button (aria-pressed = dark). */
export function initTheme(button: HTMLButtonElement): void {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be disabled; the system preference then decides.
  }
  if (stored === 'light' || stored === 'dark') document.documentElement.dataset.theme = stored;
  const sync = () => {
    const dark = currentTheme() === 'dark';
    button.setAttribute('aria-pressed', String(dark));
    button.textContent = dark ? 'Light theme' : 'Dark theme';
    button.setAttribute('aria-label', dark ? 'Switch to the light theme' : 'Switch to the dark theme');
  };
  sync();
  button.addEventListener('click', () => {
    const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Not remembered across visits then.
    }
    sync();
    for (const l of listeners) l();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    sync();
    for (const l of listeners) l();
  });
}
