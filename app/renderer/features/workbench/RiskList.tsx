import type { RiskFinding } from '../../../shared/workbench-types';

export function RiskList({ risks }: { risks: RiskFinding[] }) {
  if (risks.length === 0) return <p className="ok-text">No risky settings found.</p>;
  return (
    <ul className="risks" data-testid="risk-list">
      {risks.map((risk) => (
        <li key={risk.id} className={`risk ${risk.level}`} data-testid={`risk-${risk.id}`}>
          <strong>{risk.title}</strong> <span className="badge">{risk.level}</span>
          <div className="muted">{risk.detail}</div>
        </li>
      ))}
    </ul>
  );
}
