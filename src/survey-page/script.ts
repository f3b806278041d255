/**
 * The page's only script, inline (CSP nonce), no framework. Without it the form posts the
 * score and the server answers with page two; with it, a tap on a score saves it at once
 * (JSON POST to the same URL) and reveals the follow-up questions of the score's category on
 * the same page. Arrow keys only move through the scale (they check radios as they go), so a
 * keyboard user's score is saved on Space, or on Enter / the button, never on the way. A page
 * opened from a score link of the email (`data-landed`) saves that score on landing.
 */
export const PAGE_SCRIPT = `(function(){
var f=document.getElementById('f'),fu=document.getElementById('fu');
if(!f||!fu||!window.fetch)return;
var el=f.elements,live=document.getElementById('live'),key=false,busy=false;
f.addEventListener('keydown',function(e){key=/^Arrow/.test(e.key)});
f.addEventListener('pointerdown',function(){key=false});
function reveal(cat,score,focus){
el.step.value='2';fu.disabled=false;fu.hidden=false;
var qs=fu.querySelectorAll('[data-show]'),first=null,i,j;
for(i=0;i<qs.length;i++){var on=qs[i].getAttribute('data-show').split(' ').indexOf(cat)>=0,ins=qs[i].querySelectorAll('input,textarea');qs[i].hidden=!on;for(j=0;j<ins.length;j++){ins[j].disabled=!on;if(on&&!first)first=ins[j]}}
var ls=fu.querySelectorAll('[data-'+cat+']');for(i=0;i<ls.length;i++)ls[i].textContent=ls[i].getAttribute('data-'+cat);
var r=f.querySelector('input[name=score][value="'+score+'"]');if(r)r.checked=true;
if(!first){f.submit();return}
live.textContent=live.getAttribute('data-saved');
if(focus)first.focus();
}
function save(focus){
var r=f.querySelector('input[name=score]:checked');if(!r||busy)return Promise.resolve(false);busy=true;
return fetch(f.action,{method:'POST',headers:{'content-type':'application/json',accept:'application/json'},body:JSON.stringify({score:+r.value,state:el.state.value,website:el.website.value})})
.then(function(res){return res.ok?res.json():null}).then(function(j){busy=false;if(!j)return false;if(j.state)el.state.value=j.state;reveal(j.category,j.score,focus);return true},function(){busy=false;return false});
}
f.addEventListener('change',function(e){if(e.target.name==='score'&&!key)save(false)});
f.addEventListener('submit',function(e){if(el.step.value!=='1')return;e.preventDefault();save(true).then(function(ok){if(!ok)f.submit()})});
if(f.hasAttribute('data-landed'))save(false);
})();`;
