/**
 * `/widget.js`: the in-app survey prompt, embedded by one script tag (docs/widget.md). It asks
 * `/w/session` whether to show (signature and fatigue are checked there), then renders the
 * NPS question in a shadow root at the bottom of the host page: a labelled radio group, the
 * comment prompt of the score's category, a thank-you. Answers go as JSON to the same
 * capture path as the hosted page (`POST /s/<token>`). No framework, no cookies, no
 * dependencies; texts are set with textContent, never parsed as HTML.
 */
export const WIDGET_SCRIPT = `(function(){
var s=document.currentScript;if(!s||!window.fetch||!document.documentElement.attachShadow)return;
var d=s.dataset,base=new URL(s.src,location.href).origin,tp=d.touchpoint||'',mark='nps-widget:'+tp;
try{if(sessionStorage.getItem(mark))return}catch(e){}
function post(path,body){return fetch(base+path,{method:'POST',mode:'cors',credentials:'omit',headers:{'content-type':'application/json'},body:JSON.stringify(body)}).then(function(r){return r.json().then(function(j){return{ok:r.ok,body:j}})})}
function start(){var b={publicKey:d.key||'',userId:d.user||'',signature:d.signature||'',touchpoint:tp};if(d.unit)b.unitId=d.unit;post('/w/session',b).then(function(r){if(r.ok&&r.body.show)render(r.body)},function(){})}
if(document.readyState==='loading')document.addEventListener('DOMContentLoaded',start);else start();
var CSS=':host{all:initial}*{box-sizing:border-box}'+
'.w{position:fixed;z-index:2147483000;bottom:16px;inset-inline-end:16px;width:min(420px,calc(100vw - 32px));max-height:calc(100vh - 32px);overflow:auto;background:#fff;color:#1b1f24;border:1px solid #c9ced6;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.18);padding:16px;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}'+
'fieldset{border:0;margin:0 0 12px;padding:0;min-width:0}legend,label.l{display:block;font-weight:600;margin:0 36px 10px 0;padding:0}'+
'.sc{display:grid;grid-template-columns:repeat(6,1fr);gap:6px}@media(min-width:420px){.sc{grid-template-columns:repeat(11,1fr);gap:4px}}'+
'.o{position:relative}.o input{position:absolute;opacity:0;width:1px;height:1px;margin:0}'+
'.o label{display:flex;align-items:center;justify-content:center;min-height:44px;border:2px solid #5c6370;border-radius:8px;font-weight:600;cursor:pointer;background:#fff}'+
'.o input:checked+label{background:#1d4ed8;border-color:#1d4ed8;color:#fff}'+
'input:focus-visible+label,textarea:focus-visible,button:focus-visible{outline:3px solid #b45309;outline-offset:2px}'+
'.e{display:flex;justify-content:space-between;gap:8px;margin-top:6px;font-size:14px;color:#3d434c}'+
'textarea{display:block;width:100%;min-height:88px;padding:8px;font:inherit;border:2px solid #5c6370;border-radius:8px;margin-bottom:12px}'+
'.go{min-height:44px;padding:8px 20px;font:inherit;font-weight:600;color:#fff;background:#1d4ed8;border:0;border-radius:8px;cursor:pointer}'+
'.x{position:absolute;top:8px;inset-inline-end:8px;width:44px;height:44px;font:24px/1 system-ui,sans-serif;background:none;border:0;cursor:pointer;color:#3d434c}'+
'.st:empty{display:none}.st{font-weight:600;margin:0 0 12px}[hidden]{display:none!important}';
function el(tag,attrs,text){var e=document.createElement(tag);for(var k in attrs)e.setAttribute(k,attrs[k]);if(text!=null)e.textContent=text;return e}
function render(x){
var t=x.texts,host=el('div',{'data-nps-widget':''}),root=host.attachShadow({mode:'open'}),st=el('style',{},CSS);
var box=el('section',{'class':'w',role:'dialog','aria-labelledby':'q',lang:x.locale,dir:x.dir});
var close=el('button',{type:'button','class':'x','aria-label':t.close},'\\u00d7');
var form=el('form',{novalidate:''}),fs=el('fieldset'),lg=el('legend',{id:'q'},t.question),sc=el('div',{'class':'sc'});
for(var v=0;v<=10;v++){var o=el('div',{'class':'o'}),id='s'+v,r=el('input',{type:'radio',name:'score',id:id,value:String(v)});
if(v===0)r.setAttribute('aria-describedby','lo');if(v===10)r.setAttribute('aria-describedby','hi');o.appendChild(r);o.appendChild(el('label',{'for':id},String(v)));sc.appendChild(o)}
var ends=el('div',{'class':'e'});ends.appendChild(el('span',{id:'lo'},t.low));ends.appendChild(el('span',{id:'hi'},t.high));
fs.appendChild(lg);fs.appendChild(sc);fs.appendChild(ends);
var cw=el('div',{hidden:''}),cl=el('label',{'for':'cm','class':'l'}),cm=el('textarea',{id:'cm',maxlength:'2000'});cw.appendChild(cl);cw.appendChild(cm);
var live=el('p',{'class':'st',role:'status'}),go=el('button',{type:'submit','class':'go'},t.submit);
form.appendChild(fs);form.appendChild(cw);form.appendChild(live);form.appendChild(go);
box.appendChild(close);box.appendChild(form);root.appendChild(st);root.appendChild(box);document.body.appendChild(host);
var state=x.state,saved=null,key=false,busy=false;
function done(){try{sessionStorage.setItem(mark,'1')}catch(e){}host.remove()}
function thanks(){form.hidden=true;var p=el('p',{'class':'st',role:'status',tabindex:'-1'},t.thanks);box.appendChild(p);p.focus();setTimeout(done,4000)}
function send(body){body.state=state;busy=true;return post('/s/'+x.token,body).then(function(r){busy=false;return r.ok?r.body:null},function(){busy=false;return null})}
function save(focus){var c=form.querySelector('input[name=score]:checked');if(!c||busy||saved!==null)return;
send({score:+c.value}).then(function(j){if(!j)return;saved=j.score;var p=t.comment&&t.comment[j.category];
if(!p){thanks();return}cl.textContent=p;cw.hidden=false;live.textContent=t.saved;if(focus)cm.focus()})}
close.addEventListener('click',done);
box.addEventListener('keydown',function(e){if(e.key==='Escape')done();key=/^Arrow/.test(e.key)});
box.addEventListener('pointerdown',function(){key=false});
sc.addEventListener('change',function(){if(!key)save(false)});
form.addEventListener('submit',function(e){e.preventDefault();if(saved===null){save(true);return}
var c=cm.value.trim();if(!c||busy){thanks();return}send({comment:c}).then(function(j){if(j)thanks()})});
}
})();`;
