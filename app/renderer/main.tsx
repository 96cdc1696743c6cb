import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startConnection } from './client/connection';
import { App } from './features/shell/App';
import { startLiveUpdates } from './stores/live-updates';
import './styles.css';

startLiveUpdates();
startConnection();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
