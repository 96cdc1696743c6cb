// A labelled checkbox: the toolbars' on/off options (regex, case, streams, wrap...).
import type { ReactNode } from 'react';

export interface ToggleProps {
  checked: boolean;
  onChange: (checked: boolean) => void;
  children: ReactNode;
  testId?: string;
  title?: string;
}

export function Toggle({ checked, onChange, children, testId, title }: ToggleProps) {
  return (
    <label title={title}>
      <input
        type="checkbox"
        checked={checked}
        data-testid={testId}
        onChange={(event) => onChange(event.target.checked)}
      />
      {children}
    </label>
  );
}
