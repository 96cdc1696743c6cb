import type { ITheme } from '@xterm/xterm';

export const xtermThemes: Record<'light' | 'dark', ITheme> = {
  light: {
    background: '#ffffff',
    foreground: '#1b1f24',
    cursor: '#1f6feb',
    selectionBackground: '#b6d3ff',
    black: '#24292f',
    red: '#cf222e',
    green: '#116329',
    yellow: '#7d4e00',
    blue: '#0550ae',
    magenta: '#8250df',
    cyan: '#1b7c83',
    white: '#6e7781',
  },
  dark: {
    background: '#111419',
    foreground: '#e6e9ee',
    cursor: '#4c8dff',
    selectionBackground: '#31476b',
    black: '#484f58',
    red: '#ff7b72',
    green: '#3fb950',
    yellow: '#d29922',
    blue: '#58a6ff',
    magenta: '#bc8cff',
    cyan: '#39c5cf',
    white: '#b1bac4',
  },
};

/** Match highlights for the search addon (decorations need #RRGGBB colours). */
export const searchDecorations: Record<
  'light' | 'dark',
  {
    matchBackground: string;
    activeMatchBackground: string;
    matchOverviewRuler: string;
    activeMatchColorOverviewRuler: string;
  }
> = {
  light: {
    matchBackground: '#fff3a3',
    activeMatchBackground: '#ffb84d',
    matchOverviewRuler: '#d4a72c',
    activeMatchColorOverviewRuler: '#bf5f00',
  },
  dark: {
    matchBackground: '#5a4a00',
    activeMatchBackground: '#9e6a03',
    matchOverviewRuler: '#d29922',
    activeMatchColorOverviewRuler: '#f0883e',
  },
};
