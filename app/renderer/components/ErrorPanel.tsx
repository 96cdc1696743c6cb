import type { ServiceErrorData } from '../../shared/errors';

/** A failed fetch is shown as a failure with its reason, never as an empty list. */
export function ErrorPanel({
  title,
  error,
  onRetry,
}: {
  title: string;
  error: ServiceErrorData;
  onRetry?: () => void;
}) {
  return (
    <div className="error-panel" role="alert" data-testid="error-panel">
      <strong>{title}</strong>
      <p>{error.message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
