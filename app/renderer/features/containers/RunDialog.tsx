import { useState } from 'react';
import { api } from '../../client/connection';
import { Dialog } from '../../components/Dialog';
import { applyPullProgress, emptyPullView, type PullView } from '../../components/pull-progress';
import { PullProgressView } from '../../components/PullProgressView';
import { toErrorData } from '../../stores/resource-slice';
import { useBerth } from '../../stores/store';
import { emptyRunForm, toRunSpec, type RunForm } from './run-form';

export function RunDialog() {
  const initialImage = useBerth((state) => state.runDialog.image);
  const close = useBerth((state) => state.closeRunDialog);
  const notify = useBerth((state) => state.notify);
  const networks = useBerth((state) => state.networks.items);
  const [form, setForm] = useState<RunForm>({ ...emptyRunForm, image: initialImage ?? '' });
  const [error, setError] = useState('');
  const [running, setRunning] = useState(false);
  const [pull, setPull] = useState<PullView>(emptyPullView);
  const [controller] = useState(() => new AbortController());

  const field = (key: keyof RunForm) => ({
    value: form[key],
    onChange: (event: { target: { value: string } }) =>
      setForm({ ...form, [key]: event.target.value }),
  });

  const submit = async () => {
    setError('');
    let spec;
    try {
      spec = toRunSpec(form);
    } catch (problem) {
      setError((problem as Error).message);
      return;
    }
    setRunning(true);
    try {
      const { id } = await api.containers.run(spec, {
        signal: controller.signal,
        onProgress: (progress) => setPull((view) => applyPullProgress(view, progress)),
      });
      notify('success', `Started ${spec.name ?? id.slice(0, 12)}`);
      close();
    } catch (problem) {
      setError(toErrorData(problem).message);
      setRunning(false);
    }
  };

  const cancel = () => {
    controller.abort();
    close();
  };

  return (
    <Dialog
      title="Run a container"
      onClose={cancel}
      wide
      footer={
        <>
          <button type="button" onClick={cancel}>
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            data-testid="run-submit"
            disabled={running}
            onClick={() => void submit()}
          >
            {running ? 'Starting…' : 'Run'}
          </button>
        </>
      }
    >
      <form
        className="form-grid"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label>
          Image
          <input
            required
            placeholder="busybox:latest"
            data-testid="run-image"
            {...field('image')}
          />
        </label>
        <label>
          Name
          <input placeholder="optional" data-testid="run-name" {...field('name')} />
        </label>
        <label>
          Ports
          <input
            placeholder="8080:80, 127.0.0.1:9000:9000, 53/udp"
            data-testid="run-ports"
            {...field('ports')}
          />
        </label>
        <label>
          Network
          <select data-testid="run-network" {...field('network')}>
            <option value="">Engine default</option>
            {networks.map((network) => (
              <option key={network.id} value={network.name}>
                {network.name}
              </option>
            ))}
          </select>
        </label>
        <label className="span">
          Environment (one NAME=value per line)
          <textarea rows={3} data-testid="run-env" {...field('env')} />
        </label>
        <label className="span">
          Volumes and binds (source:/target[:ro], comma or line separated)
          <input
            placeholder="data:/var/lib/data, /srv/site:/www:ro"
            data-testid="run-volumes"
            {...field('volumes')}
          />
        </label>
        <label>
          Restart policy
          <select data-testid="run-restart" {...field('restartPolicy')}>
            <option value="no">No</option>
            <option value="always">Always</option>
            <option value="unless-stopped">Unless stopped</option>
            <option value="on-failure">On failure</option>
          </select>
        </label>
        <label>
          Command
          <input placeholder="image default" data-testid="run-command" {...field('command')} />
        </label>
        <button type="submit" hidden />
      </form>
      <PullProgressView view={pull} />
      {error && (
        <p className="form-error" role="alert" data-testid="run-error">
          {error}
        </p>
      )}
    </Dialog>
  );
}
