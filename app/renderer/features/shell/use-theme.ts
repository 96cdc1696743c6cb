import { useEffect, useState } from 'react';
import { useBerth } from '../../stores/store';

/** The effective theme: the setting, or the system's preference when set to "system". */
export function useTheme(): 'light' | 'dark' {
  const setting = useBerth((state) => state.settings?.theme ?? 'system');
  const [systemDark, setSystemDark] = useState(
    () => window.matchMedia('(prefers-color-scheme: dark)').matches,
  );
  useEffect(() => {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => setSystemDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  const theme = setting === 'system' ? (systemDark ? 'dark' : 'light') : setting;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return theme;
}
