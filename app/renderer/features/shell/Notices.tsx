import { useBerth } from '../../stores/store';

export function Notices() {
  const notices = useBerth((state) => state.notices);
  const dismiss = useBerth((state) => state.dismiss);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((notice) => (
        <div
          key={notice.id}
          className={`notice ${notice.kind}`}
          data-testid={`notice-${notice.kind}`}
        >
          <span>{notice.message}</span>
          {notice.action && (
            <button
              type="button"
              className="small"
              data-testid="notice-action"
              onClick={() => {
                notice.action?.run();
                dismiss(notice.id);
              }}
            >
              {notice.action.label}
            </button>
          )}
          <button
            type="button"
            className="icon"
            aria-label="Dismiss"
            onClick={() => dismiss(notice.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
